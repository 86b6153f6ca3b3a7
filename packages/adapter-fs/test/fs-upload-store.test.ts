/** The fs upload store against the upload-store conformance suite, reopened as after a restart. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsUploadStore } from '@davsync/adapter-fs';
import { adoptionOf } from '@davsync/core';
import { defineUploadStoreSuite, pausedBody } from '@davsync/core/testing';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineUploadStoreSuite({
  name: 'fs',
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'davsync-uploads-'));
    dirs.push(dir);
    return new FsUploadStore(join(dir, 'uploads'));
  },
  reopen: (store) => new FsUploadStore((store as FsUploadStore).dir),
});

it('records what arrived when the body goes quiet, so a server killed during the pause keeps it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'davsync-uploads-'));
  dirs.push(dir);
  const store = new FsUploadStore(join(dir, 'uploads'));
  await store.create({ id: 'q'.repeat(22), target: '/a' });
  const paused = pausedBody(Buffer.alloc(1000, 1), Buffer.alloc(500, 2));
  const appending = store.append('q'.repeat(22), 0, paused.body);
  await paused.paused;
  // What a restarted server would read: the record on disk, not this process's state.
  const restarted = new FsUploadStore(join(dir, 'uploads'));
  let seen = 0;
  for (let i = 0; i < 100 && seen !== 1000; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = (await restarted.get('q'.repeat(22)))?.offset ?? 0;
  }
  expect(seen).toBe(1000);
  paused.resume();
  expect((await appending).offset).toBe(1500);
});

describe('adoption (a completed upload renamed, not copied: adoptable-body.ts)', () => {
  const id = 'a'.repeat(22);
  async function fresh(): Promise<{ store: FsUploadStore; tmp: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'davsync-uploads-'));
    dirs.push(dir);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const store = new FsUploadStore(join(dir, 'uploads'));
    await store.create({ id, target: '/a' });
    return { store, tmp };
  }
  const text = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    return Buffer.concat(parts).toString();
  };

  it('read offers the file; adopt moves it (cut to the acknowledged bytes) and the stream reads it there', async () => {
    const { store, tmp } = await fresh();
    await store.append(id, 0, (async function* () {
      yield Buffer.from('hello world');
    })());
    const body = await store.read(id);
    const offer = adoptionOf(body);
    expect(offer?.size).toBe(11);
    expect(offer?.origin).toBe(body);
    expect(offer?.adopted).toBe(false);
    const path = (await offer?.adopt(tmp)) as string;
    expect(path.startsWith(tmp)).toBe(true);
    expect(offer?.adopted).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('hello world');
    expect(readdirSync(join(tmp, '..', 'uploads'))).toEqual([]); // consumed: no record claims the bytes
    expect(await store.get(id)).toBeUndefined();
    expect(await text(body)).toBe('hello world');
    // The upload has no bytes left: appending is a not-found (a 404), not a crash.
    await expect(store.append(id, 11, (async function* () {})())).rejects.toMatchObject({ code: 'not-found' });
    await expect(offer?.adopt(tmp)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('adopt is refused while an append runs (busy), and the bytes stay', async () => {
    const { store, tmp } = await fresh();
    const paused = pausedBody(Buffer.from('abc'), Buffer.from('def'));
    const appending = store.append(id, 0, paused.body);
    await paused.paused;
    const offer = adoptionOf(await store.read(id));
    await expect(offer?.adopt(tmp)).rejects.toMatchObject({ code: 'busy' });
    paused.resume();
    expect((await appending).offset).toBe(6);
    expect(await text(await store.read(id))).toBe('abcdef');
  });
});
