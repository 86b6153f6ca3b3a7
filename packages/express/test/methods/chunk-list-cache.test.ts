/**
 * The chunk-list cache behind `ds:chunk-hashes`, over a fake store: one
 * read per version however many ask at once; a version replaced while it
 * was read gives no list (and none is cached); a file gone meanwhile gives
 * no list, not an error; lists of other versions are separate.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DavError, type Entry } from '@davsync/core';
import { chunkListCache } from '../../src/properties/chunk-list-cache';

const file = (path: string, etag: string, size: number): Entry => ({ path, collection: false, etag, size }) as unknown as Entry;

/** A store holding one file whose ETag the test can change behind the reader's back. */
function fakeStore(bytes: Buffer) {
  const state = { etag: 'v1', reads: 0, gone: false };
  return {
    state,
    async read(path: string): Promise<AsyncIterable<Uint8Array>> {
      state.reads++;
      if (state.gone) throw new DavError('not-found', 'gone', path);
      return (async function* () {
        await new Promise((r) => setTimeout(r, 5));
        yield bytes;
      })();
    },
    async stat(path: string): Promise<Entry | undefined> {
      return state.gone ? undefined : file(path, state.etag, bytes.length);
    },
  };
}

describe('chunk-list cache', () => {
  const bytes = Buffer.from('some bytes to chunk');
  const hash = createHash('sha256').update(bytes).digest('hex');

  it('computes once for concurrent askers, then answers from the cache', async () => {
    const store = fakeStore(bytes);
    const cache = chunkListCache(store as never);
    const entry = file('/a', 'v1', bytes.length);
    expect(cache.cached(entry)).toBeUndefined();
    const [one, two] = await Promise.all([cache.compute(entry), cache.compute(entry)]);
    expect(one?.chunks).toEqual([{ offset: 0, length: bytes.length, hash }]);
    expect(two).toBe(one);
    expect(store.state.reads).toBe(1);
    expect(cache.cached(entry)).toBe(one);
    // Another version of the same path is another key.
    expect(cache.cached(file('/a', 'v2', bytes.length))).toBeUndefined();
  });

  it('a version replaced while it was read gives no list, and caches none', async () => {
    const store = fakeStore(bytes);
    const cache = chunkListCache(store as never);
    const entry = file('/a', 'v1', bytes.length);
    const pending = cache.compute(entry);
    store.state.etag = 'v2';
    expect(await pending).toBeUndefined();
    expect(cache.cached(entry)).toBeUndefined();
  });

  it('a file gone meanwhile gives no list, not an error', async () => {
    const store = fakeStore(bytes);
    store.state.gone = true;
    expect(await chunkListCache(store as never).compute(file('/a', 'v1', bytes.length))).toBeUndefined();
  });
});
