/**
 * The FastCDC chunk lists behind `ds:chunk-hashes`, computed on demand:
 * a PROPFIND that names the property on a file streams the stored version
 * once through the chunker (`@davsync/protocol`'s `ContentChunker`), never
 * the PUT path — uploads keep paying only for the checksums. Lists are kept
 * in memory per store, keyed by (path, ETag), so a version is chunked once
 * however many clients ask; the cache is bounded by the chunks it holds
 * (least recently used dropped first) and nothing is written to the store,
 * so memory, fs and PostgreSQL behave alike and a restart only costs a
 * re-chunk. Two requests for the same version share one computation.
 */
import { DavError, type Entry, type StorageAdapter } from '@davsync/core';
import { chunksOf, FASTCDC_PARAMS, type ChunkParams, type ContentChunk } from '@davsync/protocol';

/** A version's chunk list, with the parameters it was cut with. */
export interface ChunkList {
  readonly params: ChunkParams;
  readonly chunks: readonly ContentChunk[];
}

/** About 100 bytes each: 64 Ki chunks ≈ 6 MiB, the lists of 256 GiB of files at the 4 MiB average. */
const MAX_CACHED_CHUNKS = 64 * 1024;

type Reader = Pick<StorageAdapter, 'read' | 'stat'>;

class ChunkListCache {
  readonly #lists = new Map<string, ChunkList>();
  readonly #pending = new Map<string, Promise<ChunkList | undefined>>();
  #held = 0;

  constructor(private readonly store: Reader) {}

  /** The list of `entry`'s version if known; `undefined` otherwise. */
  cached(entry: Entry): ChunkList | undefined {
    const key = keyOf(entry);
    const list = this.#lists.get(key);
    if (list !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#lists.delete(key);
      this.#lists.set(key, list);
    }
    return list;
  }

  /**
   * The list of `entry`'s version, chunking the stored body if not known;
   * `undefined` when the version changed or went meanwhile. Not cut short
   * when the asking client leaves: another may be waiting for the same list.
   */
  async compute(entry: Entry): Promise<ChunkList | undefined> {
    const known = this.cached(entry);
    if (known !== undefined) return known;
    const key = keyOf(entry);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#chunk(entry).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #chunk(entry: Entry): Promise<ChunkList | undefined> {
    let chunks: ContentChunk[];
    try {
      chunks = await chunksOf(inSteps(await this.store.read(entry.path)), FASTCDC_PARAMS);
    } catch (err) {
      if (err instanceof DavError && err.code === 'not-found') return undefined;
      throw err;
    }
    const length = chunks.reduce((n, c) => n + c.length, 0);
    // A write between the listing and the read: these chunks may be of another version, so they describe none.
    const now = await this.store.stat(entry.path);
    if (now?.etag !== entry.etag || length !== (entry.size ?? 0)) return undefined;
    const list: ChunkList = { params: FASTCDC_PARAMS, chunks };
    if (this.#lists.has(keyOf(entry))) return list;
    this.#lists.set(keyOf(entry), list);
    this.#held += chunks.length;
    for (const [key, old] of this.#lists) {
      if (this.#held <= MAX_CACHED_CHUNKS || old === list) break;
      this.#lists.delete(key);
      this.#held -= old.chunks.length;
    }
    return list;
  }
}

/** Bytes chunked between two turns of the event loop (~4 ms of CPU): other requests go on while a large file is chunked. */
const STEP = 1024 * 1024;

/** `body` in pieces of at most {@link STEP}, yielding to the event loop after each (a memory store's body is one buffer). */
async function* inSteps(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of body) {
    for (let at = 0; at < piece.byteLength; at += STEP) {
      yield piece.subarray(at, at + STEP);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

const keyOf = (entry: Entry): string => `${entry.etag}\u0000${entry.path}`;

const caches = new WeakMap<Reader, ChunkListCache>();

/** The chunk-list cache of a store (one per adapter object). */
export function chunkListCache(store: Reader): ChunkListCache {
  let cache = caches.get(store);
  if (cache === undefined) caches.set(store, (cache = new ChunkListCache(store)));
  return cache;
}

export type { ChunkListCache };
