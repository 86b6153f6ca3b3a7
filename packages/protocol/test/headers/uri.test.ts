import { describe, expect, it } from '@jest/globals';
import { isAbsoluteUri, isSimpleRef } from '../../src/headers/uri';

describe('RFC 3986 pieces used by WebDAV headers', () => {
  it.each(['urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2', 'DAV:no-lock', 'http://example.com/ns/sync/12345', 'opaquelocktoken:x', 'http://[::1]:8080/a?b', 'DAV:'])(
    'accepts the absolute URI %s',
    (u) => expect(isAbsoluteUri(u)).toBe(true),
  );

  it.each(['', '/a', 'a', ':x', '1x:y', 'urn:a b', 'urn:a#b', 'urn:a%zz', 'urn:<x>', 'urn:é'])('refuses %j as an absolute URI', (u) =>
    expect(isAbsoluteUri(u)).toBe(false),
  );

  it('accepts absolute paths (with a query) and absolute URIs as Simple-ref (RFC 4918 §8.3)', () => {
    for (const r of ['/', '/a/b/', '/a%20b?x=1', 'http://h/a']) expect(isSimpleRef(r)).toBe(true);
  });

  it('refuses relative and network-path references as Simple-ref', () => {
    for (const r of ['a/b', './a', '../a', '//h/a', '', '/a#f']) expect(isSimpleRef(r)).toBe(false);
  });
});
