import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TextDecoder } from 'node:util';
import { decoderFor } from '../../src/xml/chunk-decoder';

/** What a fatal TextDecoder makes of all of `bytes` at once: the reference. */
function reference(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `bytes` cut at `cuts`, decoded chunk by chunk; `undefined` once a chunk is refused. */
function inChunks(bytes: Uint8Array, cuts: number[]): string | undefined {
  const decoder = decoderFor('utf-8');
  const ends = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let text = '';
  let from = 0;
  for (const end of ends) {
    const part = decoder.decode(bytes.subarray(from, end), true);
    if (part === undefined) return undefined;
    text += part;
    from = end;
  }
  const last = decoder.decode(bytes.subarray(from), false);
  return last === undefined ? undefined : text + last;
}

describe('UTF-8 request bodies, chunk by chunk', () => {
  it('decodes and refuses exactly as a fatal TextDecoder of the whole body, however it is cut', () => {
    // Bytes near the edges of UTF-8: lead bytes, continuations, overlong forms, surrogates, past U+10FFFF.
    const tricky = fc.constantFrom(0x00, 0x3c, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90);
    const text = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => [...Buffer.from(s, 'utf8')]);
    const bytes = fc.array(fc.oneof(tricky.map((b) => [b]), text), { maxLength: 12 }).map((parts) => Uint8Array.from(parts.flat()));
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (body, cuts) => {
        expect(inChunks(body, cuts)).toEqual(reference(body));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a character split across chunks whole', () => {
    const decoder = decoderFor('utf-8');
    const tower = Buffer.from('🗼'); // four bytes
    expect(decoder.decode(tower.subarray(0, 1), true)).toBe('');
    expect(decoder.decode(tower.subarray(1, 3), true)).toBe('');
    expect(decoder.decode(tower.subarray(3), true)).toBe('🗼');
    expect(decoder.decode(new Uint8Array(0), false)).toBe('');
  });

  it('refuses a body that ends inside a character', () => {
    const decoder = decoderFor('utf-8');
    expect(decoder.decode(Buffer.from([0x3c, 0xe2, 0x82]), true)).toBe('<');
    expect(decoder.decode(new Uint8Array(0), false)).toBeUndefined();
  });
});
