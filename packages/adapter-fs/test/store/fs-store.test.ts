import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { openFsStore, SqliteLockStore, type FsStore } from '@davsync/adapter-fs';
import { isDavError, type ChangeSet } from '@davsync/core';
import Database from 'better-sqlite3';
import { removeTemp, tempDir } from '../support/temp-store';

const dirs: string[] = [];
const stores: FsStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await removeTemp(d);
});

async function open(root: string, watch = false): Promise<FsStore> {
  const store = await openFsStore({ root, watch, reconcileIntervalMs: 0, watchDelayMs: 50 });
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

const view = (set: ChangeSet) => set.changes.map((c) => `${c.type} ${c.path}`).sort();

describe('openFsStore', () => {
  it('refuses engine options it cannot take and leaves nothing open: the folder can be opened again at once', async () => {
    const root = newRoot();
    await expect(openFsStore({ root, watch: false, reconcileIntervalMs: 0, engine: { checksums: { algorithms: ['crc32' as 'md5'] } } })).rejects.toThrow(/checksums/);
    // The state directory's lock was released (a second open would be refused otherwise).
    const store = await open(root);
    await store.engine.write('/a.txt', body('a'));
  });

  it('creates a missing root and keeps its state directory out of every listing and sync', async () => {
    const root = newRoot();
    const store = await open(root);
    await store.engine.write('/a.txt', body('a'));
    const names = (await fsp.readdir(root)).sort();
    expect(names).toEqual(['.davsync', 'a.txt']);
    expect(view(await store.engine.changes('/', null, { level: 'infinite' }))).toEqual(['changed /a.txt']);
  });

  it('keeps tokens valid across a clean restart and reports what happened in between', async () => {
    const root = newRoot();
    let store = await open(root);
    await store.engine.write('/keep.txt', body('1'));
    await store.engine.write('/edit.txt', body('1'));
    const token = (await store.engine.changes('/', null, { level: 'infinite' })).token;
    await close(store);
    store = await open(root);
    expect((await store.engine.changes('/', token, { level: 'infinite' })).changes).toEqual([]);
    await store.engine.write('/edit.txt', body('2'));
    expect(view(await store.engine.changes('/', token, { level: 'infinite' }))).toEqual(['changed /edit.txt']);
  });

  it('records changes other programs made while it was stopped', async () => {
    const root = newRoot();
    let store = await open(root);
    await store.engine.mkcol('/dir');
    await store.engine.write('/dir/old.txt', body('old'));
    await store.engine.write('/edit.txt', body('1'));
    await store.engine.write('/gone.txt', body('1'));
    await store.engine.write('/renamed.txt', body('r'));
    const token = (await store.engine.changes('/', null, { level: 'infinite' })).token;
    await close(store);

    await fsp.writeFile(join(root, 'edit.txt'), 'changed by an editor');
    await fsp.rm(join(root, 'gone.txt'));
    await fsp.rename(join(root, 'renamed.txt'), join(root, 'moved.txt'));
    await fsp.mkdir(join(root, 'copied'));
    await fsp.writeFile(join(root, 'copied', 'x.txt'), 'x');
    await fsp.rm(join(root, 'dir'), { recursive: true });

    store = await open(root);
    expect(view(await store.engine.changes('/', token, { level: 'infinite' }))).toEqual([
      'changed /copied',
      'changed /copied/x.txt',
      'changed /edit.txt',
      'changed /moved.txt',
      'removed /dir',
      'removed /gone.txt',
      'removed /renamed.txt',
    ]);
  });

  it('reconcileInBackground: resolves first; `reconciled` resolves once what changed while stopped is recorded', async () => {
    const root = newRoot();
    let store = await open(root);
    await store.engine.write('/a.txt', body('1'));
    await store.engine.write('/gone.txt', body('1'));
    const token = (await store.engine.changes('/', null, { level: 'infinite' })).token;
    await close(store);
    await fsp.writeFile(join(root, 'a.txt'), 'changed while stopped');
    await fsp.rm(join(root, 'gone.txt'));
    await fsp.writeFile(join(root, 'b.txt'), 'new');

    store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0, reconcileInBackground: true });
    stores.push(store);
    await store.reconciled;
    expect(view(await store.engine.changes('/', token, { level: 'infinite' }))).toEqual(['changed /a.txt', 'changed /b.txt', 'removed /gone.txt']);
  });

  it('reconcileInBackground: close() while the reconcile runs stops it, records none of it, and releases the folder', async () => {
    const root = newRoot();
    await fsp.mkdir(root, { recursive: true });
    for (let i = 0; i < 2000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => fsp.writeFile(join(root, `m${i + j}.txt`), 'x')));
    const store = await openFsStore({ root, watch: true, reconcileIntervalMs: 0, reconcileInBackground: true });
    await store.close();
    // Given up, not failed halfway: the walk stops between listing batches
    // and its changes are committed all together or not at all.
    await expect(store.reconciled).rejects.toMatchObject({ name: 'AbortError' });
    // The lock is free, and the next start walks the folder again.
    const again = await open(root);
    expect((await again.engine.changes('/', null, { level: 1 })).changes).toHaveLength(2000);
  });

  it('records changes other programs make while it runs, within seconds', async () => {
    const root = newRoot();
    const store = await open(root, true);
    await store.engine.mkcol('/dir');
    await store.engine.write('/dir/a.txt', body('a'));
    await store.engine.write('/b.txt', body('b'));
    const token = (await store.engine.changes('/', null, { level: 'infinite' })).token;

    await fsp.writeFile(join(root, 'b.txt'), 'saved by an editor');
    await fsp.writeFile(join(root, 'new.txt'), 'new');
    await fsp.rm(join(root, 'dir'), { recursive: true });
    await fsp.mkdir(join(root, 'later'));
    await fsp.writeFile(join(root, 'later', 'deep.txt'), 'deep');

    const expected = ['changed /b.txt', 'changed /later', 'changed /later/deep.txt', 'changed /new.txt', 'removed /dir'];
    let seen: string[] = [];
    // Bounded wait: the watcher records within ~100 ms here; allow 5 s on a loaded machine.
    for (let i = 0; i < 50 && JSON.stringify(seen) !== JSON.stringify(expected); i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = view(await store.engine.changes('/', token, { level: 'infinite' }));
    }
    expect(seen).toEqual(expected);
  });

  it('notices a folder that replaced a file of the same name, and files created inside it', async () => {
    const root = newRoot();
    const store = await open(root, true);
    await store.engine.write('/x', body('a file'));
    const token = (await store.engine.changes('/', null, { level: 'infinite' })).token;
    await fsp.rm(join(root, 'x'));
    await fsp.mkdir(join(root, 'x'));
    await store.flush();
    await new Promise((r) => setTimeout(r, 200));
    await fsp.writeFile(join(root, 'x', 'inside.txt'), 'inside');
    const expected = ['changed /x', 'changed /x/inside.txt'];
    let seen: string[] = [];
    for (let i = 0; i < 50 && JSON.stringify(seen) !== JSON.stringify(expected); i++) {
      await new Promise((r) => setTimeout(r, 100));
      await store.flush();
      seen = view(await store.engine.changes('/', token, { level: 'infinite' }));
    }
    expect(seen).toEqual(expected);
  });

  it('refuses a second store on the same root while the first runs', async () => {
    const root = newRoot();
    await open(root);
    let err: unknown;
    try {
      await openFsStore({ root, watch: false });
    } catch (e) {
      err = e;
    }
    expect(isDavError(err, 'unavailable')).toBe(true);
    expect(String(err)).toMatch(/is in use by another store in this process/);
  });

  it('refuses a root that is a file', async () => {
    const root = newRoot();
    await fsp.mkdir(join(root, '..'), { recursive: true });
    await fsp.writeFile(root, 'not a directory');
    await expect(openFsStore({ root, watch: false })).rejects.toThrow(/not a directory/);
  });
});

describe('listings', () => {
  it('carry the media types stored by PUTs, read for the whole folder at once', async () => {
    const store = await open(newRoot());
    await store.adapter.mkcol('/d');
    await store.adapter.write('/d/a.txt', body('a'), { contentType: 'text/x-a' });
    await store.adapter.write('/d/b.txt', body('b'));
    await store.adapter.mkcol('/d/sub');
    await store.adapter.write('/d/sub/c.txt', body('c'), { contentType: 'text/x-c' });
    const types: Record<string, string | undefined> = {};
    for await (const e of store.adapter.list('/d')) types[e.path] = e.contentType;
    expect(types).toEqual({ '/d/a.txt': 'text/x-a', '/d/b.txt': 'text/plain', '/d/sub': undefined });
    for await (const e of store.adapter.list('/d/sub')) expect(e.contentType).toBe('text/x-c');
  });
});

describe('read-access revocations', () => {
  it('survive a restart, so the user who lost access still gets the removal', async () => {
    const root = newRoot();
    const first = await open(root);
    await first.engine.write('/a.txt', body('a'));
    const token = (await first.engine.changes('/', null, { level: 1 })).token;
    expect(await first.engine.revokeAccess(['bob'], ['/a.txt'])).toBe(1);
    const revision = await first.engine.revocations.revokedAt('bob', '/a.txt');
    expect(revision).toEqual(expect.any(Number));
    await close(first);

    const second = await open(root);
    expect(await second.engine.revocations.revokedAt('bob', '/a.txt')).toBe(revision);
    expect(await second.engine.revocations.revokedAt('alice', '/a.txt')).toBeUndefined();
    // The revocation's revision is after the token: a delta from it reports /a.txt.
    expect(view(await second.engine.changes('/', token, { level: 1 }))).toEqual(['changed /a.txt']);
  });

  it('upgrades a version 1 state database, keeping its journal', async () => {
    const root = newRoot();
    const first = await open(root);
    await first.engine.write('/kept.txt', body('k'));
    await close(first);
    // Make it a version 1 file again, as an older davsync left it.
    const db = new Database(join(root, '.davsync', 'state.db'));
    db.exec('DROP TABLE revocations; DROP TABLE locks; DROP TABLE file_ids; DROP TABLE push_registrations');
    db.pragma('user_version = 1');
    db.close();
    const second = await open(root);
    expect(view(await second.engine.changes('/', null, { level: 1 }))).toEqual(['changed /kept.txt']);
    await second.engine.revokeAccess(['bob'], ['/kept.txt']);
    expect(await second.engine.revocations.revokedAt('bob', '/kept.txt')).toEqual(expect.any(Number));
  });
});

describe('WebDAV locks', () => {
  it('live in the state database: a lock survives a restart within its timeout', async () => {
    const root = newRoot();
    const first = await open(root);
    expect(first.engine.locks).toBeInstanceOf(SqliteLockStore);
    const taken = await first.engine.locks.lock({ path: '/doc.txt', scope: 'exclusive', depth: 0, timeout: 600, owner: '<D:owner xmlns:D="DAV:">me</D:owner>' });
    if (!taken.granted) throw new Error('not granted');
    await close(first);

    const second = await open(root);
    expect(await second.engine.locks.get(taken.lock.token)).toEqual(taken.lock);
    expect((await second.engine.locks.lock({ path: '/doc.txt', scope: 'shared', depth: 0, timeout: 60 })).granted).toBe(false);
  });

  it('take the limits given as `locks`', async () => {
    const store = await openFsStore({ root: newRoot(), watch: false, reconcileIntervalMs: 0, locks: { maxLocks: 1, maxTimeoutSeconds: 30 } });
    stores.push(store);
    const taken = await store.engine.locks.lock({ path: '/a', scope: 'shared', depth: 0, timeout: 'infinite' });
    expect(taken.granted && taken.lock.timeoutSeconds).toBe(30);
    await expect(store.engine.locks.lock({ path: '/b', scope: 'shared', depth: 0, timeout: 60 })).rejects.toMatchObject({ code: 'insufficient-storage' });
  });
});
