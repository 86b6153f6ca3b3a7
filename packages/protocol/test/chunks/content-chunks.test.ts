/**
 * The FastCDC chunker behind `ds:chunk-hashes`: the same cuts as a plain
 * whole-buffer implementation of the rules (written out again here, as
 * bench/cdc.js first had them), whatever pieces the bytes stream in; chunk
 * sizes within the bounds; an insertion changes only the chunks around it;
 * unusable parameters refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ContentChunker, FASTCDC_PARAMS, chunksOf, isChunkParams, type ChunkParams, type ContentChunk } from '@davsync/protocol';

/** The reference: each cut found on the whole buffer, byte by byte, as in the FastCDC paper's algorithm 2. */
function reference(data: Buffer, p: ChunkParams): ContentChunk[] {
  const gear = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    gear[i] = x >>> 0;
  }
  const bits = Math.log2(p.avg);
  const maskS = 2 ** (bits + 2) - 1;
  const maskL = 2 ** (bits - 2) - 1;
  const out: ContentChunk[] = [];
  for (let start = 0; start < data.length; ) {
    const n = data.length - start;
    let end = data.length;
    if (n > p.min) {
      const avgEnd = start + Math.min(p.avg, n);
      const maxEnd = start + Math.min(p.max, n);
      let h = 0;
      let i = start + p.min;
      end = maxEnd;
      for (; i < avgEnd; i++) {
        h = ((h << 1) + gear[data[i]!]!) >>> 0;
        if (h % (maskS + 1) === 0) break;
      }
      if (i < avgEnd) end = i + 1;
      else {
        for (; i < maxEnd; i++) {
          h = ((h << 1) + gear[data[i]!]!) >>> 0;
          if (h % (maskL + 1) === 0) break;
        }
        if (i < maxEnd) end = i + 1;
      }
    }
    out.push({ offset: start, length: end - start, hash: createHash('sha256').update(data.subarray(start, end)).digest('hex') });
    start = end;
  }
  return out;
}

const SMALL: ChunkParams = { min: 2048, avg: 8192, max: 32768 };

/** `data` in random-sized pieces (1 byte to 20 KiB). */
function* pieces(data: Buffer, seed: number): Generator<Buffer> {
  let s = seed;
  for (let at = 0; at < data.length; ) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (s % 20480);
    yield data.subarray(at, at + n);
    at += n;
  }
}

describe('FastCDC chunker', () => {
  it('cuts like the whole-buffer reference, however the bytes are split', () => {
    const data = randomBytes(2 * 1024 * 1024);
    const expected = reference(data, SMALL);
    expect(expected.length).toBeGreaterThan(50);
    expect(new ContentChunker(SMALL).update(data).end()).toEqual(expected);
    const streamed = new ContentChunker(SMALL);
    for (const piece of pieces(data, 42)) streamed.update(piece);
    expect(streamed.end()).toEqual(expected);
  });

  it('with davsync parameters: the same cuts as the reference on 40 MiB, chunks between min and max, tiling the file', async () => {
    const data = randomBytes(40 * 1024 * 1024);
    async function* stream(): AsyncGenerator<Buffer> {
      yield* pieces(data, 7);
    }
    const chunks = await chunksOf(stream(), FASTCDC_PARAMS);
    expect(chunks).toEqual(reference(data, FASTCDC_PARAMS));
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(data.length);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThan(FASTCDC_PARAMS.min);
      expect(c.length).toBeLessThanOrEqual(FASTCDC_PARAMS.max);
    }
  }, 60_000);

  it('an insertion changes only the chunks around it: the rest keep their hashes', () => {
    const data = randomBytes(4 * 1024 * 1024);
    const mid = 2 * 1024 * 1024 + 123;
    const edited = Buffer.concat([data.subarray(0, mid), randomBytes(1024), data.subarray(mid)]);
    const before = new Set(new ContentChunker(SMALL).update(data).end().map((c) => c.hash));
    const after = new ContentChunker(SMALL).update(edited).end();
    const lost = after.filter((c) => !before.has(c.hash)).reduce((n, c) => n + c.length, 0);
    // At most a few chunks around the insertion: far below the 2 MiB a fixed-block diff would lose.
    expect(lost).toBeGreaterThan(1024);
    expect(lost).toBeLessThan(4 * SMALL.max);
  });

  it('an empty input has no chunks; a short one is one chunk', () => {
    expect(new ContentChunker(SMALL).end()).toEqual([]);
    const short = Buffer.from('short');
    expect(new ContentChunker(SMALL).update(short).end()).toEqual([{ offset: 0, length: 5, hash: createHash('sha256').update(short).digest('hex') }]);
  });

  it('refuses parameters it cannot cut with', () => {
    expect(isChunkParams(FASTCDC_PARAMS)).toBe(true);
    for (const bad of [
      { min: 4096, avg: 3000, max: 16384 },
      { min: 8192, avg: 8192, max: 16384 },
      { min: 0, avg: 8192, max: 16384 },
      { min: 2048, avg: 8192, max: 4096 },
      { min: 2048, avg: 8192, max: 2 ** 40 },
      { min: Number.NaN, avg: 8192, max: 16384 },
    ]) {
      expect(isChunkParams(bad)).toBe(false);
      expect(() => new ContentChunker(bad)).toThrow(RangeError);
    }
  });
});
