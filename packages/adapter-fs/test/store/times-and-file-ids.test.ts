/**
 * Client modification times and file IDs in a whole filesystem store: the
 * times are the files' real mtimes, IDs of overwritten files outlive a
 * restart (the state database's file_ids table), and what other programs do
 * to the tree is seen as it is.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { removeTemp, tempDir } from '../support/temp-store';

const dirs: string[] = [];
const stores: FsStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await removeTemp(d);
});

async function open(root: string): Promise<FsStore> {
  const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
  stores.push(store);
  return store;
}

async function close(store: FsStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}

function newRoot(): string {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir, 'root');
}

const body = (text: string) =>
  (async function* () {
    yield Buffer.from(text);
  })();

const T1 = new Date('2001-02-03T04:05:06.000Z');

describe('client modification times on the filesystem', () => {
  it('are the files’ real mtimes, set by write and by setModified', async () => {
    const root = newRoot();
    const store = await open(root);
    await store.engine.write('/a.txt', body('a'), { modified: T1 });
    expect((await fsp.stat(join(root, 'a.txt'))).mtime.getTime()).toBe(T1.getTime());
    await store.engine.mkcol('/d');
    await store.engine.setModified('/d', new Date('2002-01-01T00:00:00Z'));
    expect((await fsp.stat(join(root, 'd'))).mtime.toISOString()).toBe('2002-01-01T00:00:00.000Z');
  });

  it('new content of the same size with the same client time never repeats an ETag at the path', async () => {
    const root = newRoot();
    const store = await open(root);
    const seen = new Set<string>();
    // Each write frees the inode the one before used, which the next may get back.
    for (let i = 0; i < 30; i++) {
      const { entry } = await store.engine.write('/same.txt', body(`v${String(i % 10)}${String(Math.floor(i / 10))}`), { modified: T1 });
      expect(entry.modified?.getTime()).toBe(T1.getTime());
      expect(seen.has(entry.etag)).toBe(false);
      seen.add(entry.etag);
    }
  });

  it('setModified never follows a symlink out of the root', async () => {
    const root = newRoot();
    const store = await open(root);
    const outside = join(root, '..', 'outside.txt');
    await fsp.writeFile(outside, 'not served');
    const before = (await fsp.stat(outside)).mtimeMs;
    await fsp.symlink(outside, join(root, 'link.txt'));
    await expect(store.engine.setModified('/link.txt', T1)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await fsp.stat(outside)).mtimeMs).toBe(before);
  });

  it('a file another program changed keeps its own mtime, and refresh records the change', async () => {
    const root = newRoot();
    const store = await open(root);
    await store.engine.write('/a.txt', body('a'), { modified: T1 });
    const { token } = await store.engine.changes('/', null, { level: 1 });
    const own = new Date('2010-05-05T05:05:05Z');
    await fsp.writeFile(join(root, 'a.txt'), 'edited elsewhere');
    await fsp.utimes(join(root, 'a.txt'), own, own);
    await store.engine.refresh();
    expect((await store.adapter.stat('/a.txt'))?.modified?.getTime()).toBe(own.getTime());
    // A touch alone (another program's `touch -d`) is a change too: the ETag follows the mtime.
    const next = await store.engine.changes('/', token, { level: 1 });
    expect(next.changes.map((c) => c.path)).toEqual(['/a.txt']);
    const later = new Date('2011-01-01T00:00:00Z');
    await fsp.utimes(join(root, 'a.txt'), later, later);
    expect(await store.engine.refresh()).toBe(1);
  });
});

describe('file IDs on the filesystem', () => {
  it('an overwritten file keeps its ID across a restart, in stat and in a listing', async () => {
    const root = newRoot();
    let store = await open(root);
    await store.engine.write('/a.txt', body('v1'));
    const id = (await store.adapter.stat('/a.txt'))?.fileId;
    const second = await store.engine.write('/a.txt', body('v2 longer'));
    expect(second.entry.fileId).toBe(id);
    await close(store);
    store = await open(root);
    expect((await store.adapter.stat('/a.txt'))?.fileId).toBe(id);
    const listed = [];
    for await (const e of store.adapter.list('/')) listed.push(e);
    expect(listed.find((e) => e.path === '/a.txt')?.fileId).toBe(id);
  });

  it('a file moved by another program keeps its ID; one replaced by another program gets a new one', async () => {
    const root = newRoot();
    const store = await open(root);
    await store.engine.write('/a.txt', body('a'));
    await store.engine.write('/b.txt', body('b'));
    const a = (await store.adapter.stat('/a.txt'))?.fileId;
    const b = (await store.adapter.stat('/b.txt'))?.fileId;
    await fsp.rename(join(root, 'a.txt'), join(root, 'moved.txt'));
    expect((await store.adapter.stat('/moved.txt'))?.fileId).toBe(a);
    await fsp.rm(join(root, 'b.txt'));
    await fsp.writeFile(join(root, 'b.txt'), 'new b');
    expect((await store.adapter.stat('/b.txt'))?.fileId).not.toBe(b);
  });

  it('a continued ID stays with its file through MOVE and does not pass to what replaces it elsewhere', async () => {
    const root = newRoot();
    const store = await open(root);
    await store.engine.write('/a.txt', body('1'));
    await store.engine.write('/a.txt', body('2'));
    const id = (await store.adapter.stat('/a.txt'))?.fileId;
    await store.engine.mkcol('/d');
    await store.engine.move('/a.txt', '/d/a.txt');
    expect((await store.adapter.stat('/d/a.txt'))?.fileId).toBe(id);
    await store.engine.write('/a.txt', body('new'));
    expect((await store.adapter.stat('/a.txt'))?.fileId).not.toBe(id);
    await store.engine.copy('/d/a.txt', '/c.txt');
    expect((await store.adapter.stat('/c.txt'))?.fileId).not.toBe(id);
  });
});
