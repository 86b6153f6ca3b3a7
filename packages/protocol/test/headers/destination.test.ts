import { describe, expect, it } from '@jest/globals';
import { parseDestination } from '../../src/headers/destination';
import { expectProtocolError } from '../xml/plain';

describe('Destination (RFC 4918 §10.3, Simple-ref §8.3)', () => {
  it('takes an absolute URI apart, lower-casing scheme and host for comparison (the §9.8.8 example)', () => {
    expect(parseDestination('http://www.example.com/othercontainer/')).toEqual({
      reference: 'http://www.example.com/othercontainer/',
      origin: 'http://www.example.com',
      path: '/othercontainer/',
      query: undefined,
    });
    expect(parseDestination('HTTPS://WWW.Example.COM:8443/a%20b/C').origin).toBe('https://www.example.com:8443');
    expect(parseDestination('HTTPS://WWW.Example.COM:8443/a%20b/C').path).toBe('/a%20b/C');
  });

  it('accepts an absolute path, leaving the origin to the request', () => {
    expect(parseDestination('/users/f/fielding/index.html')).toEqual({
      reference: '/users/f/fielding/index.html',
      origin: undefined,
      path: '/users/f/fielding/index.html',
      query: undefined,
    });
  });

  it('keeps the path percent-encoded: decoding is the caller’s, segment by segment', () => {
    expect(parseDestination('/a%2Fb/%C3%A9').path).toBe('/a%2Fb/%C3%A9');
  });

  it('separates a query', () => {
    expect(parseDestination('http://h/a?b=c')).toMatchObject({ path: '/a', query: 'b=c' });
    expect(parseDestination('/a?')).toMatchObject({ path: '/a', query: '' });
  });

  it('reads an empty path of an absolute URI as /', () => {
    expect(parseDestination('http://h').path).toBe('/');
  });

  it('ignores white space around the value', () => {
    expect(parseDestination('  /a \t').path).toBe('/a');
  });

  it('keeps userinfo as written and lower-cases only the host', () => {
    expect(parseDestination('http://User@Host/a').origin).toBe('http://User@host');
  });

  it.each([
    ['a missing header', undefined],
    ['an empty value', ''],
    ['a relative path', 'relative/path'],
    ['a dot-relative path', './a'],
    ['a network-path reference', '//host/a'],
    ['a fragment', '/a#frag'],
    ['white space inside', '/a b'],
    ['bad percent-encoding', '/a%2'],
    ['a non-ASCII character', '/é'],
    ['an absolute URI without a host', 'urn:uuid:1234'],
    ['an empty host', 'http:///a'],
    ['angle brackets', '</a>'],
  ])('refuses %s with a 400', async (_, v) => {
    await expectProtocolError(() => parseDestination(v), 'bad-request');
  });

  it('refuses an overlong value', async () => {
    await expectProtocolError(() => parseDestination(`/${'a'.repeat(9000)}`), 'bad-request');
  });
});
