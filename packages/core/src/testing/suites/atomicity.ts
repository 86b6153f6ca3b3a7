/**
 * Writes are all or nothing: a body that fails leaves the previous content
 * and ETag in place, and no reader ever sees part of a body (the `write`
 * contract). A store that writes in place fails these; a temporary file
 * renamed over the old one, or a buffer swapped in at the end, passes.
 */
import { Readable } from 'node:stream';
import { expect } from '@jest/globals';
import { expectDavError } from '../assertions';
import { bodyOf, failingBody, patternBytes, pausedBody, readAll } from '../bodies';
import type { Harness } from '../harness';
import { listAll, readText, writeText } from '../tree';

/**
 * Fails clearly instead of hanging when an adapter makes readers wait for a
 * write that the test itself is holding open.
 */
async function within<T>(work: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`davsync: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Large enough that a streaming reader or writer handles it in several chunks. */
const SIZE = 512 * 1024;

export function atomicitySuite(t: Harness): void {
  t.test('keeps the previous content and ETag when the body stream throws midway', async (adapter) => {
    const before = await writeText(adapter, '/f.txt', 'the old content');
    await expect(adapter.write('/f.txt', failingBody(new Error('connection reset'), 'the new ', 'content that never'))).rejects.toThrow();
    expect(await readText(adapter, '/f.txt')).toBe('the old content');
    expect(await adapter.stat('/f.txt')).toMatchObject({ etag: before.etag, size: before.size });
  });

  t.test('leaves no member behind when the body of a new member throws midway', async (adapter) => {
    await expect(adapter.write('/new.txt', failingBody(new Error('connection reset'), 'partial'))).rejects.toThrow();
    expect(await adapter.stat('/new.txt')).toBeUndefined();
    expect(await listAll(adapter, '/')).toEqual([]);
  });

  t.test('treats a body stream destroyed before its end (an aborted upload) as a failed write', async (adapter) => {
    const before = await writeText(adapter, '/f.txt', 'the old content');
    const body = new Readable({ read() {} });
    body.push(Buffer.from('the first part of a body that is cut off'));
    setTimeout(() => body.destroy(), 10);
    await expect(adapter.write('/f.txt', body)).rejects.toThrow();
    expect(await readText(adapter, '/f.txt')).toBe('the old content');
    expect((await adapter.stat('/f.txt'))?.etag).toBe(before.etag);
  });

  t.test('accepts a new write after a failed one', async (adapter) => {
    await writeText(adapter, '/f.txt', 'v1');
    await expect(adapter.write('/f.txt', failingBody(new Error('boom'), 'half'))).rejects.toThrow();
    await writeText(adapter, '/f.txt', 'v2');
    expect(await readText(adapter, '/f.txt')).toBe('v2');
  });

  t.test('shows readers only the old content while a body is still streaming', async (adapter) => {
    const old = patternBytes(SIZE, 1);
    const next = patternBytes(SIZE, 2);
    const before = await adapter.write('/f.bin', bodyOf(old));
    const paused = pausedBody(next.subarray(0, SIZE / 2), next.subarray(SIZE / 2));
    const writing = adapter.write('/f.bin', paused.body);
    await paused.paused;
    expect((await within(adapter.read('/f.bin').then(readAll), 'a read during a write')).equals(old)).toBe(true);
    expect(await within(adapter.stat('/f.bin'), 'a stat during a write')).toMatchObject({ etag: before.etag, size: SIZE });
    paused.resume();
    const after = await writing;
    expect((await readAll(await adapter.read('/f.bin'))).equals(next)).toBe(true);
    expect(await adapter.stat('/f.bin')).toMatchObject({ etag: after.etag, size: SIZE });
  });

  t.test('does not show a new member while its body is still streaming', async (adapter) => {
    const paused = pausedBody(Buffer.from('first half, '), Buffer.from('second half'));
    const writing = adapter.write('/new.txt', paused.body);
    await paused.paused;
    expect(await within(adapter.stat('/new.txt'), 'a stat during a write')).toBeUndefined();
    await expectDavError('not-found', () => adapter.read('/new.txt'));
    paused.resume();
    await writing;
    expect(await readText(adapter, '/new.txt')).toBe('first half, second half');
  });

  t.test('keeps the old content when a streaming body fails after readers looked', async (adapter) => {
    const old = patternBytes(SIZE, 3);
    const before = await adapter.write('/f.bin', bodyOf(old));
    const paused = pausedBody(patternBytes(SIZE / 2, 4), patternBytes(SIZE / 2, 5));
    const writing = adapter.write('/f.bin', paused.body);
    await paused.paused;
    paused.fail(new Error('client went away'));
    await expect(writing).rejects.toThrow();
    expect((await readAll(await adapter.read('/f.bin'))).equals(old)).toBe(true);
    expect((await adapter.stat('/f.bin'))?.etag).toBe(before.etag);
  });

  t.test('lets a reader that started before a write finish with one version, never a mix', async (adapter) => {
    const old = patternBytes(SIZE, 6);
    const next = patternBytes(SIZE, 7);
    await adapter.write('/f.bin', bodyOf(old));
    const reading = (await adapter.read('/f.bin'))[Symbol.asyncIterator]();
    const first = await reading.next();
    await adapter.write('/f.bin', bodyOf(next));
    const chunks: Buffer[] = first.done === true ? [] : [Buffer.from(first.value)];
    for (let step = await reading.next(); step.done !== true; step = await reading.next()) chunks.push(Buffer.from(step.value));
    const seen = Buffer.concat(chunks);
    expect(seen.equals(old) || seen.equals(next)).toBe(true);
  });

  t.test('ends concurrent writes to one member with exactly one whole body', async (adapter) => {
    const a = patternBytes(SIZE, 8);
    const b = patternBytes(SIZE, 9);
    const pausedA = pausedBody(a.subarray(0, SIZE / 2), a.subarray(SIZE / 2));
    const pausedB = pausedBody(b.subarray(0, SIZE / 2), b.subarray(SIZE / 2));
    const writingA = adapter.write('/f.bin', pausedA.body);
    const writingB = adapter.write('/f.bin', pausedB.body);
    // Only A is awaited: an adapter may hold B back until A is done.
    await within(pausedA.paused, 'the first body to be read');
    pausedB.resume();
    pausedA.resume();
    const [entryA, entryB] = await Promise.all([writingA, writingB]);
    const final = await readAll(await adapter.read('/f.bin'));
    const winner = final.equals(a) ? entryA : final.equals(b) ? entryB : undefined;
    expect(winner).toBeDefined();
    expect((await adapter.stat('/f.bin'))?.etag).toBe(winner?.etag);
  });
}
