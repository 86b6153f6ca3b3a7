/**
 * Content-defined chunking (FastCDC: Xia et al., USENIX ATC 2016) for
 * davsync's `ds:chunk-hashes` (docs/transfer.md). Fixed blocks stop matching
 * after an insertion shifts the bytes that follow it; chunk boundaries found
 * from the content itself move with the bytes, so only the chunk around the
 * edit differs. The server chunks a stored version on demand and the client
 * chunks its own old copy with the same parameters, then fetches only the
 * chunks it lacks (bench/cdc.js measured why: docs/performance.md).
 *
 * A gear rolling hash, normalized chunking level 2: no cut in the first
 * `min` bytes of a chunk, a harder mask (avg × 4) until `avg` bytes, an
 * easier one (avg ÷ 4) after, a forced cut at `max`. Streaming: feed any
 * pieces to {@link ContentChunker.update}; the cuts do not depend on how the
 * bytes were split. Loads nothing but node:crypto.
 */
import { createHash, type Hash } from 'node:crypto';

/** The chunker's name in `ds:chunk-hashes`: this gear table and these rules. A change to either needs a new name. */
export const FASTCDC_CHUNKER = 'fastcdc-gear32-nc2';

/** The sizes that make a chunking: both sides must use the same ones. `avg` is a power of two. */
export interface ChunkParams {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

/** davsync's parameters: 1 / 4 / 16 MiB, around its 4 MiB fixed blocks. */
export const FASTCDC_PARAMS: ChunkParams = { min: 1024 * 1024, avg: 4 * 1024 * 1024, max: 16 * 1024 * 1024 };

/** The largest `max` accepted (a client holds no chunk in memory, but a list of huge chunks saves nothing). */
export const MAX_CHUNK_LIMIT = 256 * 1024 * 1024;

/** One chunk of a file: bytes `offset` to `offset + length − 1`, their SHA-256 in lowercase hex. */
export interface ContentChunk {
  readonly offset: number;
  readonly length: number;
  readonly hash: string;
}

/** True when `p` can drive a chunker: 64 ≤ min < avg < max ≤ {@link MAX_CHUNK_LIMIT}, avg a power of two. */
export function isChunkParams(p: ChunkParams): boolean {
  const ints = [p.min, p.avg, p.max].every((n) => Number.isSafeInteger(n));
  return ints && p.min >= 64 && p.min < p.avg && p.avg < p.max && p.max <= MAX_CHUNK_LIMIT && (p.avg & (p.avg - 1)) === 0;
}

/**
 * The gear table: 256 pseudo-random 32-bit values from a fixed xorshift
 * seed (so every side has the same). Held as signed 32-bit integers, the
 * same bits: V8 keeps those as small integers, where values over 2³¹ would
 * be heap numbers in the hot loop.
 */
const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x | 0;
  }
  return table;
})();

/** Cuts the bytes fed to it into content-defined chunks and hashes each; {@link end} gives the list. */
export class ContentChunker {
  readonly #min: number;
  readonly #avg: number;
  readonly #max: number;
  readonly #maskSmall: number;
  readonly #maskLarge: number;
  readonly #done: ContentChunk[] = [];
  #hash: Hash = createHash('sha256');
  /** Bytes of the current chunk so far, where it starts, and the rolling hash. */
  #pos = 0;
  #offset = 0;
  #gear = 0;

  constructor(params: ChunkParams = FASTCDC_PARAMS) {
    if (!isChunkParams(params)) throw new RangeError(`davsync: unusable chunk sizes ${JSON.stringify(params)}`);
    this.#min = params.min;
    this.#avg = params.avg;
    this.#max = params.max;
    const bits = Math.log2(params.avg);
    // Masks as signed 32-bit values (the rolling hash is one); a mask of 32 bits or more is all ones.
    this.#maskSmall = bits + 2 >= 32 ? -1 : 2 ** (bits + 2) - 1;
    this.#maskLarge = (2 ** (bits - 2) - 1) | 0;
  }

  update(bytes: Uint8Array): this {
    // Locals, not fields, in the per-byte loops: V8 keeps them in registers.
    const n = bytes.byteLength;
    const min = this.#min;
    const avg = this.#avg;
    const max = this.#max;
    const maskSmall = this.#maskSmall;
    const maskLarge = this.#maskLarge;
    let sliceStart = 0;
    let pos = this.#pos;
    let gear = this.#gear;
    let i = 0;
    while (i < n) {
      if (pos < min) {
        // FastCDC's skip: no boundary this early, so no hashing of these bytes.
        const k = Math.min(min - pos, n - i);
        pos += k;
        i += k;
        continue;
      }
      // Before the average size the harder mask, after it the easier one; each loop stops at the buffer's end.
      const from = i;
      let cut = false;
      if (pos < avg) {
        const stop = Math.min(n, i + (avg - pos));
        while (i < stop) {
          gear = ((gear << 1) + GEAR[bytes[i++]!]!) | 0;
          if ((gear & maskSmall) === 0) {
            cut = true;
            break;
          }
        }
      } else {
        const stop = Math.min(n, i + (max - pos));
        while (i < stop) {
          gear = ((gear << 1) + GEAR[bytes[i++]!]!) | 0;
          if ((gear & maskLarge) === 0) {
            cut = true;
            break;
          }
        }
      }
      pos += i - from;
      if (cut || pos === max) {
        this.#hash.update(bytes.subarray(sliceStart, i));
        this.#close(pos);
        sliceStart = i;
        pos = 0;
        gear = 0;
      }
    }
    if (sliceStart < n) this.#hash.update(bytes.subarray(sliceStart));
    this.#pos = pos;
    this.#gear = gear;
    return this;
  }

  /** The chunks, the trailing one included; the chunker is finished after it. */
  end(): ContentChunk[] {
    if (this.#pos > 0) this.#close(this.#pos);
    this.#pos = 0;
    return this.#done;
  }

  #close(length: number): void {
    this.#done.push({ offset: this.#offset, length, hash: this.#hash.digest('hex') });
    this.#offset += length;
    this.#hash = createHash('sha256');
  }
}

/** The chunks of a whole stream, read once. */
export async function chunksOf(content: AsyncIterable<Uint8Array>, params: ChunkParams = FASTCDC_PARAMS): Promise<ContentChunk[]> {
  const chunker = new ContentChunker(params);
  for await (const piece of content) chunker.update(piece);
  return chunker.end();
}
