/**
 * Client modification times and file IDs, the two facts sync clients of the
 * ownCloud dialect (rclone, the Nextcloud clients) build on:
 *
 * - a member keeps the modification time a client gives it
 *   (`WriteOptions.modified`, `setModified`), a file's ETag changes with
 *   it, and the engine journals a change of time alone like any change;
 * - `fileId` is the member's identity: kept by MOVE and by overwriting the
 *   content, new for a COPY and for a member re-created after a delete.
 *
 * Adapters without `setModified` or without file IDs skip the suite
 * (`times`, `file-ids`) with their reason.
 */
import { expect } from '@jest/globals';
import type { StorageAdapter } from '../../adapter';
import { SyncEngine } from '../../engine';
import type { Entry } from '../../entry';
import { expectDavError } from '../assertions';
import { bodyOf } from '../bodies';
import type { Harness } from '../harness';
import { COLLECTION, listAll, readText, seed, writeText } from '../tree';

// Millisecond parts on purpose: stores must not drop them (X-OC-Mtime may carry decimals).
const T1 = new Date('2001-02-03T04:05:06.789Z');
const T2 = new Date('1999-12-31T23:59:58.125Z');

function setModifiedOf(adapter: StorageAdapter): (path: string, modified: Date) => Promise<Entry> {
  if (adapter.setModified === undefined) {
    throw new Error("davsync: the adapter has no setModified; declare it with skip: { times: '<why>' }");
  }
  return adapter.setModified.bind(adapter);
}

async function fileIdOf(adapter: StorageAdapter, path: string): Promise<string> {
  const id = (await adapter.stat(path))?.fileId;
  if (id === undefined) throw new Error(`davsync: no fileId for ${path}; an adapter without file IDs declares skip: { 'file-ids': '<why>' }`);
  return id;
}

const timeOf = async (adapter: StorageAdapter, path: string): Promise<number | undefined> => (await adapter.stat(path))?.modified?.getTime();

export function timesSuite(t: Harness): void {
  t.test('a write given a modification time reports that time from write, stat and list', async (adapter) => {
    setModifiedOf(adapter);
    await adapter.mkcol('/d');
    const written = await adapter.write('/d/f.txt', bodyOf('content'), { modified: T1 });
    expect(written.modified?.getTime()).toBe(T1.getTime());
    expect(await timeOf(adapter, '/d/f.txt')).toBe(T1.getTime());
    const listed = (await listAll(adapter, '/d')).find((e) => e.path === '/d/f.txt');
    expect(listed?.modified?.getTime()).toBe(T1.getTime());
    expect(listed?.etag).toBe(written.etag);
  });

  t.test('a write without a modification time reports the time of the write', async (adapter) => {
    setModifiedOf(adapter);
    await adapter.write('/f.txt', bodyOf('v1'), { modified: T1 });
    const before = Date.now();
    const entry = await adapter.write('/f.txt', bodyOf('v2'));
    // Clocks of a database or a filesystem may differ a little from this process's.
    expect(Math.abs((entry.modified?.getTime() ?? 0) - before)).toBeLessThan(60_000);
  });

  t.test('setModified changes the time and a file ETag, and nothing else', async (adapter) => {
    const setModified = setModifiedOf(adapter);
    const first = await writeText(adapter, '/f.txt', 'same content');
    const changed = await setModified('/f.txt', T2);
    expect(changed.modified?.getTime()).toBe(T2.getTime());
    expect(changed.etag).not.toBe(first.etag);
    expect(changed.size).toBe(first.size);
    const stat = await adapter.stat('/f.txt');
    expect(stat?.etag).toBe(changed.etag);
    expect(stat?.modified?.getTime()).toBe(T2.getTime());
    expect(await readText(adapter, '/f.txt')).toBe('same content');
    const again = await setModified('/f.txt', T1);
    expect(again.etag).not.toBe(changed.etag);
    expect(again.modified?.getTime()).toBe(T1.getTime());
  });

  t.test('setModified sets the time of a collection', async (adapter) => {
    const setModified = setModifiedOf(adapter);
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'x' });
    const entry = await setModified('/d', T1);
    expect(entry).toMatchObject({ path: '/d', collection: true });
    expect(await timeOf(adapter, '/d')).toBe(T1.getTime());
    expect(await timeOf(adapter, '/d/f.txt')).not.toBe(T1.getTime());
  });

  t.test('setModified throws not-found for a missing member and creates nothing', async (adapter) => {
    const setModified = setModifiedOf(adapter);
    await expectDavError('not-found', () => setModified('/missing.txt', T1));
    expect(await adapter.stat('/missing.txt')).toBeUndefined();
  });

  t.test('a moved member keeps the time a client gave it', async (adapter) => {
    setModifiedOf(adapter);
    await adapter.write('/a.txt', bodyOf('a'), { modified: T1 });
    await adapter.move('/a.txt', '/b.txt');
    expect(await timeOf(adapter, '/b.txt')).toBe(T1.getTime());
  });

  t.test('the engine journals a change of modification time alone', async (adapter) => {
    setModifiedOf(adapter);
    const engine = new SyncEngine({ adapter, journal: adapter.recordsChangesIn });
    await engine.write('/keep.txt', bodyOf('k'));
    await engine.write('/f.txt', bodyOf('f'));
    const { token } = await engine.changes('/', null, { level: 1 });
    const entry = await engine.setModified('/f.txt', T1);
    const next = await engine.changes('/', token, { level: 1 });
    expect(next.changes).toEqual([expect.objectContaining({ type: 'changed', path: '/f.txt', etag: entry.etag })]);
  });
}

export function fileIdsSuite(t: Harness): void {
  t.test('gives every member a file ID, distinct among members, the same from stat and list', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/a.txt': 'same', '/d/b.txt': 'same', '/d/sub': COLLECTION });
    const ids = await Promise.all(['/d', '/d/a.txt', '/d/b.txt', '/d/sub'].map((p) => fileIdOf(adapter, p)));
    expect(new Set(ids).size).toBe(4);
    const listed = await listAll(adapter, '/d');
    for (const e of listed) expect(e.fileId).toBe(await fileIdOf(adapter, e.path));
  });

  t.test('keeps the file ID when the content is overwritten', async (adapter) => {
    await writeText(adapter, '/f.txt', 'v1');
    const id = await fileIdOf(adapter, '/f.txt');
    const second = await writeText(adapter, '/f.txt', 'a longer v2');
    expect(second.fileId ?? (await fileIdOf(adapter, '/f.txt'))).toBe(id);
    expect(await fileIdOf(adapter, '/f.txt')).toBe(id);
  });

  t.test('keeps file IDs across a MOVE, for a file and for a collection with its members', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/a.txt': 'a', '/d/s': COLLECTION, '/d/s/b.txt': 'b', '/f.txt': 'f' });
    const before = await Promise.all(['/d', '/d/a.txt', '/d/s', '/d/s/b.txt', '/f.txt'].map((p) => fileIdOf(adapter, p)));
    await adapter.move('/d', '/e');
    await adapter.move('/f.txt', '/e/s/g.txt');
    const after = await Promise.all(['/e', '/e/a.txt', '/e/s', '/e/s/b.txt', '/e/s/g.txt'].map((p) => fileIdOf(adapter, p)));
    expect(after).toEqual(before);
  });

  t.test('gives a COPY new file IDs, and leaves the source its own', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/a.txt': 'a', '/f.txt': 'f' });
    const source = await Promise.all(['/d', '/d/a.txt', '/f.txt'].map((p) => fileIdOf(adapter, p)));
    await adapter.copy('/d', '/e');
    await adapter.copy('/f.txt', '/g.txt');
    const copies = await Promise.all(['/e', '/e/a.txt', '/g.txt'].map((p) => fileIdOf(adapter, p)));
    expect(await Promise.all(['/d', '/d/a.txt', '/f.txt'].map((p) => fileIdOf(adapter, p)))).toEqual(source);
    expect(new Set([...source, ...copies]).size).toBe(6);
  });

  t.test('gives a member re-created after a delete a new file ID', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/f.txt': 'f' });
    const ids = [await fileIdOf(adapter, '/d'), await fileIdOf(adapter, '/f.txt')];
    await adapter.remove('/d');
    await adapter.remove('/f.txt');
    await seed(adapter, { '/d': COLLECTION, '/f.txt': 'f' });
    expect(await fileIdOf(adapter, '/d')).not.toBe(ids[0]);
    expect(await fileIdOf(adapter, '/f.txt')).not.toBe(ids[1]);
  });

  t.test('gives a file that replaces another by MOVE its own file ID', async (adapter) => {
    await seed(adapter, { '/a.txt': 'a', '/b.txt': 'b' });
    const a = await fileIdOf(adapter, '/a.txt');
    await adapter.move('/a.txt', '/b.txt');
    expect(await fileIdOf(adapter, '/b.txt')).toBe(a);
  });
}
