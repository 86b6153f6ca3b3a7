import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isProtocolError } from '../../src/protocol-error';
import { ifMatchPasses, ifNoneMatchPasses, isWeak, parseEtagList, strongMatch, strongMatchesCurrent, weakMatch, weakMatchesCurrent } from '../../src/headers/etag-match';
import { expectProtocolError } from '../xml/plain';

describe('entity-tag lists (RFC 9110 §13.1.1, §13.1.2)', () => {
  it('reads * and comma-separated entity tags, as written', () => {
    expect(parseEtagList('*')).toBe('*');
    expect(parseEtagList(' * ')).toBe('*');
    expect(parseEtagList('"xyzzy"')).toEqual(['"xyzzy"']);
    expect(parseEtagList('"xyzzy", "r2d2xxxx", "c3piozzzz"')).toEqual(['"xyzzy"', '"r2d2xxxx"', '"c3piozzzz"']);
    expect(parseEtagList('W/"xyzzy",W/"r2d2xxxx"')).toEqual(['W/"xyzzy"', 'W/"r2d2xxxx"']);
    expect(parseEtagList('""')).toEqual(['""']);
  });

  it('skips empty list elements (RFC 9110 §5.6.1)', () => {
    expect(parseEtagList(', "a" ,, "b",')).toEqual(['"a"', '"b"']);
  });

  it.each([
    ['* mixed with tags', '*, "a"'],
    ['an unquoted tag', 'abc'],
    ['a space inside the tag', '"a b"'],
    ['a lower-case weak marker', 'w/"a"'],
    ['a missing closing quote', '"abc'],
    ['two tags without a comma', '"a" "b"'],
    ['a control character', '"a\u0001"'],
  ])('refuses %s with a 400', async (_, v) => {
    await expectProtocolError(() => parseEtagList(v), 'bad-request');
  });

  it('refuses overlong headers and too many tags', async () => {
    await expectProtocolError(() => parseEtagList(`"${'a'.repeat(9000)}"`), 'bad-request');
    await expectProtocolError(() => parseEtagList(Array.from({ length: 3 }, (_, i) => `"${i}"`).join(','), { maxTags: 2 }), 'bad-request');
  });

  it('never throws anything but a bad-request ProtocolError for arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('"', 'W', '/', ',', ' ', '*', 'a', '\t', 'é') }), (v) => {
        try {
          const r = parseEtagList(v);
          expect(r === '*' || Array.isArray(r)).toBe(true);
        } catch (err) {
          expect(isProtocolError(err, 'bad-request')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('comparison (RFC 9110 §8.8.3.2, the table of examples)', () => {
  const table: Array<[string, string, boolean, boolean]> = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ];
  it.each(table)('%s vs %s: strong %s, weak %s', (a, b, strong, weak) => {
    expect(strongMatch(a, b)).toBe(strong);
    expect(weakMatch(a, b)).toBe(weak);
  });

  it('knows a weak tag by its W/ prefix', () => {
    expect(isWeak('W/"x"')).toBe(true);
    expect(isWeak('"W/x"')).toBe(false);
  });
});

describe('evaluating If-Match and If-None-Match', () => {
  it('If-Match: absent passes; * needs a current representation; a list needs a strong match', () => {
    expect(ifMatchPasses(undefined, undefined)).toBe(true);
    expect(ifMatchPasses('*', '"1"')).toBe(true);
    expect(ifMatchPasses('*', undefined)).toBe(false);
    expect(ifMatchPasses('"0", "1"', '"1"')).toBe(true);
    expect(ifMatchPasses('W/"1"', '"1"')).toBe(false);
    expect(ifMatchPasses('"1"', 'W/"1"')).toBe(false);
    expect(ifMatchPasses('"1"', undefined)).toBe(false);
    expect(ifMatchPasses('', '"1"')).toBe(false);
  });

  it('If-None-Match: * passes only when nothing exists (create-only PUT); a list fails on a weak match', () => {
    expect(ifNoneMatchPasses(undefined, '"1"')).toBe(true);
    expect(ifNoneMatchPasses('*', undefined)).toBe(true);
    expect(ifNoneMatchPasses('*', '"1"')).toBe(false);
    expect(ifNoneMatchPasses('W/"1"', '"1"')).toBe(false);
    expect(ifNoneMatchPasses('"2"', '"1"')).toBe(true);
    expect(ifNoneMatchPasses('"1"', undefined)).toBe(true);
  });

  it('a resource answering to several tags (identity and gzip): If-Match passes on any strong match, If-None-Match fails on any weak one', () => {
    const both = ['"1"', '"1-gzip"'];
    expect(ifMatchPasses('"1-gzip"', both)).toBe(true);
    expect(ifMatchPasses('"0", "1"', both)).toBe(true);
    expect(ifMatchPasses('W/"1-gzip"', both)).toBe(false);
    expect(ifMatchPasses('"2-gzip"', both)).toBe(false);
    expect(ifNoneMatchPasses('"1-gzip"', both)).toBe(false);
    expect(ifNoneMatchPasses('W/"1"', both)).toBe(false);
    expect(ifNoneMatchPasses('"2", "2-gzip"', both)).toBe(true);
    expect(strongMatchesCurrent('"1"', '"1"')).toBe(true);
    expect(weakMatchesCurrent('W/"1"', both)).toBe(true);
  });

  it('refuses a malformed header rather than guessing', async () => {
    await expectProtocolError(() => ifMatchPasses('abc', '"1"'), 'bad-request');
    await expectProtocolError(() => ifNoneMatchPasses('"1" x', '"1"'), 'bad-request');
  });
});
