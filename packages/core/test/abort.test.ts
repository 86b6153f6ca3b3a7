/**
 * Reads and listings given an AbortSignal: `listInBatches` passes it on and
 * stops at the next batch once it aborts, even over an adapter that ignores
 * it; `abortableBody` ends any body.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { abortableBody, listInBatches, type Entry, type ReadOptions, type StorageAdapter } from '@davsync/core';
import { noStore } from './helpers';

const members = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ path: `/m${i}`, collection: false, etag: String(i) }));

/** An adapter listing 200 members that records the options it was given and ignores them. */
function listing(seen: Array<ReadOptions | undefined>): StorageAdapter {
  return {
    ...noStore,
    async *list(_path: string, options?: ReadOptions) {
      seen.push(options);
      yield* members(200);
    },
  };
}

describe('listInBatches with a signal', () => {
  it('passes the signal to the adapter and stops before the next batch once it aborts', async () => {
    const seen: Array<ReadOptions | undefined> = [];
    const controller = new AbortController();
    const batches: number[] = [];
    await expect(
      (async () => {
        for await (const batch of listInBatches(listing(seen), '/', 64, { signal: controller.signal })) {
          batches.push(batch.length);
          controller.abort(new Error('client gone'));
        }
      })(),
    ).rejects.toThrow('client gone');
    expect(batches).toEqual([64]);
    expect(seen[0]?.signal).toBe(controller.signal);
  });

  it('lists everything without one, and refuses to start with an aborted one', async () => {
    let n = 0;
    for await (const batch of listInBatches(listing([]), '/')) n += batch.length;
    expect(n).toBe(200);
    const iterator = listInBatches(listing([]), '/', 64, { signal: AbortSignal.abort() });
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('abortableBody', () => {
  const text = async (body: AsyncIterable<Uint8Array>) => {
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c);
    return Buffer.concat(parts).toString();
  };

  it('destroys a Node stream when the signal aborts, and leaves a body alone without one', async () => {
    const stream = Readable.from([Buffer.from('a'), Buffer.from('b')]);
    const controller = new AbortController();
    const body = abortableBody(stream, controller.signal);
    controller.abort();
    await expect(text(body)).rejects.toMatchObject({ name: 'AbortError' });
    expect(stream.destroyed).toBe(true);
    const plain = Readable.from([Buffer.from('ab')]);
    expect(abortableBody(plain, undefined)).toBe(plain);
    expect(await text(plain)).toBe('ab');
  });

  it('ends any other iterable at its next chunk', async () => {
    const controller = new AbortController();
    async function* chunks() {
      yield Buffer.from('a');
      controller.abort(new Error('stop'));
      yield Buffer.from('b');
    }
    await expect(text(abortableBody(chunks(), controller.signal))).rejects.toThrow('stop');
  });
});
