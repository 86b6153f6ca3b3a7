import { describe, expect, it } from '@jest/globals';
import { isDavError } from '@davsync/core';
import { pathFromReference } from '../../src/hrefs';

// One mapping from URIs in requests (Destination, If resource tags, a host's
// hrefs in wrap mode) to member paths under the mount point.

const ORIGIN = 'http://dav.example.com';
const resolve = (reference: string, base = '/dav', origin: string | undefined = ORIGIN) => pathFromReference(reference, base, origin)?.path;

function refusal(reference: string): string | undefined {
  try {
    pathFromReference(reference, '/dav', ORIGIN);
    return undefined;
  } catch (err) {
    return isDavError(err) ? err.code : 'not a DavError';
  }
}

describe('URI references to member paths', () => {
  it('maps absolute paths and absolute URIs of this server under the mount point, decoded, without the query', () => {
    expect(resolve('/dav/a%20b/c.txt')).toBe('/a b/c.txt');
    expect(resolve('/dav')).toBe('/');
    expect(resolve('/dav/')).toBe('/');
    expect(resolve('http://dav.example.com/dav/x?y=1')).toBe('/x');
    expect(resolve('/x', '')).toBe('/x');
  });

  it('compares origins as URLs do: scheme and host case-folded, default port dropped', () => {
    expect(resolve('HTTP://DAV.Example.com/dav/x')).toBe('/x');
    expect(resolve('http://dav.example.com:80/dav/x')).toBe('/x');
    expect(resolve('http://user@dav.example.com/dav/x')).toBe('/x');
    expect(resolve('https://dav.example.com/dav/x')).toBeUndefined();
    expect(resolve('http://dav.example.com:8080/dav/x')).toBeUndefined();
    expect(resolve('http://elsewhere.example.com/dav/x')).toBeUndefined();
  });

  it('leaves out places beside the mount point', () => {
    expect(resolve('/davx/a')).toBeUndefined();
    expect(resolve('/other/a')).toBeUndefined();
    expect(resolve('http://dav.example.com/')).toBeUndefined();
  });

  it('refuses with 400 what a request target would be refused for, absolute URIs included', () => {
    expect(refusal('/dav/a/../b')).toBe('bad-request');
    expect(refusal('http://dav.example.com/dav/a/../b')).toBe('bad-request');
    expect(refusal('/dav/a%2Fb')).toBe('bad-request');
    expect(refusal('/dav/a%00')).toBe('bad-request');
    expect(refusal('dav/relative')).toBe('bad-request');
    expect(refusal('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6')).toBe('bad-request');
    expect(refusal('/dav/with space')).toBe('bad-request');
    expect(refusal('/dav/x#fragment')).toBe('bad-request');
  });
});
