import { describe, expect, it } from '@jest/globals';
import { ancestorsOf, childPath, isDavError, isWithin, normalizePath, parentOf, rebase } from '@davsync/core';

describe('member paths', () => {
  it('normalise duplicate and trailing slashes', () => {
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('//a//b/')).toBe('/a/b');
  });

  it('refuse dot segments, NUL bytes and relative paths with bad-request', () => {
    for (const bad of ['/a/../b', '/..', '/./a', '/a\0b', 'a/b', '']) {
      let err: unknown;
      try {
        normalizePath(bad);
      } catch (e) {
        err = e;
      }
      expect(isDavError(err, 'bad-request')).toBe(true);
    }
  });

  it('know parents, ancestors, children and containment', () => {
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/')).toBeUndefined();
    expect(ancestorsOf('/a/b/c')).toEqual(['/a/b', '/a', '/']);
    expect(childPath('/', 'x')).toBe('/x');
    expect(childPath('/a', 'x')).toBe('/a/x');
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/a', '/')).toBe(true);
    expect(rebase('/a/b/c', '/a', '/z')).toBe('/z/b/c');
    expect(rebase('/a', '/a', '/')).toBe('/');
  });
});
