/**
 * Property-based fuzzing of the request-target decoder (`hrefs.ts`): every
 * URL either decodes to a member path that cannot climb out of the store or
 * is refused with a bad-request DavError; no other exception, ever. The XML
 * and header parsers are fuzzed in @davsync/protocol
 * (`packages/protocol/test/fuzz/parsers.fuzz.test.ts`). Run counts:
 * `DAVSYNC_FUZZ_RUNS` (see that package's `test/fuzz/generators.ts`).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DavError, isMemberPath } from '@davsync/core';
import { decodeTarget } from '../../src/hrefs';
import { fuzzParams, fuzzTimeout, pathSegment } from '../../../protocol/test/fuzz/generators';

function checkTarget(url: string): void {
  let target;
  try {
    target = decodeTarget(url);
  } catch (err) {
    if (!(err instanceof DavError) || err.code !== 'bad-request') throw new Error(`unexpected ${String(err)}`, { cause: err });
    return;
  }
  expect(isMemberPath(target.path)).toBe(true);
  expect(target.path.split('/')).not.toContain('..');
  expect(target.path.split('/')).not.toContain('.');
  expect(target.path).not.toContain('\0');
  expect(target.path).not.toContain('\\');
  expect(typeof target.trailingSlash).toBe('boolean');
}

/** No lone surrogates (encodeURIComponent would throw). */
function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

describe('fuzzing the request-target decoder', () => {
  it('arbitrary strings: a member path that cannot climb out, or a bad-request DavError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }).map((s) => `/${s}`), fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `/${s}`)), (url) => {
        checkTarget(url);
      }),
      fuzzParams(2),
    );
  }, fuzzTimeout(2));

  it('percent-encoded byte sequences: the same', () => {
    fc.assert(
      fc.property(fc.array(pathSegment, { minLength: 1, maxLength: 6 }), fc.constantFrom('', '/', '?q=1', '?a/../b', '#f'), (segments, tail) => {
        checkTarget(`/${segments.join('/')}${tail}`);
      }),
      fuzzParams(2),
    );
  }, fuzzTimeout(2));

  it('UTF-8 names without separators or dot segments are decoded to exactly those names', () => {
    const name = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 6 })
      .filter((s) => !s.includes('/') && !s.includes('\\') && !s.includes('\0') && s !== '.' && s !== '..' && wellFormed(s));
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), fc.boolean(), (names, slash) => {
        const url = `/${names.map(encodeURIComponent).join('/')}${slash ? '/' : ''}`;
        expect(decodeTarget(url)).toEqual({ path: `/${names.join('/')}`, trailingSlash: slash });
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));
});
