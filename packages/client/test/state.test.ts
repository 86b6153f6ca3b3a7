/**
 * The state database and the local scanner.
 */
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { scanLocal } from '../src/local/local-scan';
import { SyncState } from '../src/state/sync-state';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-client-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SyncState', () => {
  it('upgrades a version 1 database in place: rows and cursor kept, the new columns empty', () => {
    const file = join(dir, 'v1.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE remote (path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, modified INTEGER);
      CREATE TABLE synced (path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, mtime_ns TEXT, ino TEXT);
      CREATE TABLE pending (path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, mtime_ns TEXT, ino TEXT);
      INSERT INTO meta VALUES ('schema', '1'), ('url', 'http://h/dav/'), ('cursor', '{"mode":"propfind"}');
      INSERT INTO remote VALUES ('a', 'file', '"e"', 'F', 1, NULL);
      INSERT INTO synced VALUES ('a', 'file', '"e"', 'F', 1, '5', '7');`);
    old.close();
    const state = SyncState.open(file, 'http://h/dav/');
    try {
      expect(state.cursor()).toEqual({ mode: 'propfind' });
      expect(state.remoteTree().get('a')).toEqual({ path: 'a', kind: 'file', etag: '"e"', fileId: 'F', size: 1 });
      expect(state.synced().get('a')).toEqual({ path: 'a', kind: 'file', etag: '"e"', fileId: 'F', size: 1, mtimeNs: '5', ino: '7' });
      state.setRemote('a', { path: 'a', kind: 'file', etag: '"f"', checksums: { sha1: 'a'.repeat(40) } });
      expect(state.remoteTree().get('a')).toEqual({ path: 'a', kind: 'file', etag: '"f"', checksums: { sha1: 'a'.repeat(40) } });
    } finally {
      state.close();
    }
  });

  it('keeps the remote tree from feed pages; a full listing removes what it did not mention; the cursor is stored at the end', () => {
    const state = SyncState.open(join(dir, 'state.db'), 'http://h/dav/');
    try {
      state.applyRemote([
        { type: 'changed', entry: { path: 'd', kind: 'dir' } },
        { type: 'changed', entry: { path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F', size: 3 } },
        { type: 'changed', entry: { path: 'y_%', kind: 'file', etag: '"2"' } },
        { type: 'changed', entry: { path: 'z', kind: 'file', etag: '"3"' } },
      ]);
      expect(state.cursor()).toBeUndefined();
      state.finishFeed([{ path: '', recursive: true }], new Set(['d', 'd/x', 'z']), { mode: 'propfind' });
      expect([...state.remoteTree().keys()].sort()).toEqual(['d', 'd/x', 'z']);
      expect(state.remoteTree().get('d/x')).toEqual({ path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F', size: 3 });
      expect(state.cursor()).toEqual({ mode: 'propfind' });
      // A removal takes the folder's members; a level-1 listing only direct members.
      state.applyRemote([{ type: 'removed', path: 'd' }]);
      expect([...state.remoteTree().keys()]).toEqual(['z']);
    } finally {
      state.close();
    }
  });

  it('keeps synced entries across opens, moves subtrees, and refuses another server\'s state', () => {
    const file = join(dir, 'state.db');
    let state = SyncState.open(file, 'http://h/dav/');
    state.setSynced({ path: 'a', kind: 'dir', ino: '1' });
    state.setSynced({ path: 'a/b', kind: 'file', etag: '"e"', size: 1, mtimeNs: '123456789012345678901', ino: '2' });
    state.setSynced({ path: 'ab', kind: 'file', etag: '"f"' });
    state.close();
    state = SyncState.open(file, 'http://h/dav/');
    state.move('synced', 'a', 'c');
    expect([...state.synced().keys()].sort()).toEqual(['ab', 'c', 'c/b']);
    expect(state.synced().get('c/b')?.mtimeNs).toBe('123456789012345678901');
    state.forgetSynced('c');
    expect([...state.synced().keys()]).toEqual(['ab']);
    state.close();
    expect(() => SyncState.open(file, 'http://other/dav/')).toThrow('this folder is synced with http://h/dav/, not http://other/dav/');
  });

  it('a removal takes exactly its subtree: names that sort beside "a/" (a.b, a-b, a0, a%, a_, aé, "a /") stay', () => {
    const state = SyncState.open(join(dir, 'range.db'), 'http://h/dav/');
    try {
      const neighbours = ['a', 'a.b', 'a-b', 'a0', 'a%', 'a_', 'aé', 'a ', 'a /x', 'ab', 'a%/x', 'a_/x'];
      const members = ['a/b', 'a/b/c', 'a/0', 'a/é', 'a/%'];
      state.applyRemote([...neighbours, ...members].map((path) => ({ type: 'changed', entry: { path, kind: path.includes('/') || path === 'a' ? 'dir' : 'file' } })));
      for (const path of [...neighbours, ...members]) state.setSynced({ path, kind: 'dir' });
      // A folder that becomes a file takes its old members with it (deleteSubtree without itself).
      state.applyRemote([{ type: 'changed', entry: { path: 'a', kind: 'file', etag: '"x"' } }]);
      expect([...state.remoteTree().keys()].sort()).toEqual([...neighbours].sort());
      state.forgetSynced('a');
      expect([...state.synced().keys()].sort()).toEqual(neighbours.filter((p) => p !== 'a').sort());
      state.move('synced', 'a%', 'z');
      expect([...state.synced().keys()].sort()).toEqual(['a.b', 'a-b', 'a0', 'a_', 'aé', 'a ', 'a /x', 'ab', 'z', 'z/x', 'a_/x'].sort());
    } finally {
      state.close();
    }
  });

  it('a pending download is adopted only when its file is in place with the noted identity', () => {
    const state = SyncState.open(join(dir, 'state.db'), 'http://h/dav/');
    try {
      state.setPending({ path: 'in-place', kind: 'file', etag: '"1"', size: 3, mtimeNs: '5', ino: '7' });
      state.setPending({ path: 'never-renamed', kind: 'file', etag: '"2"', size: 3, mtimeNs: '5', ino: '8' });
      const adopted = state.resolvePending((p) => (p === 'in-place' ? { size: 3, mtimeNs: '5', ino: '7' } : { size: 3, mtimeNs: '5', ino: '99' }));
      expect(adopted).toBe(1);
      expect([...state.synced().keys()]).toEqual(['in-place']);
      expect(state.pendingPaths()).toEqual([]);
    } finally {
      state.close();
    }
  });

  it('one pass at a time: a second opener is refused while the first holds the state', () => {
    const file = join(dir, 'state.db');
    const first = SyncState.open(file, 'http://h/dav/');
    try {
      expect(() => SyncState.open(file, 'http://h/dav/')).toThrow(`davsync: another davsync sync is running on this folder (${file} is locked)`);
    } finally {
      first.close();
    }
    SyncState.open(file, 'http://h/dav/').close();
  });
});

describe('scanLocal', () => {
  it('gives kind, size, mtime in ns and inode; skips .davsync-client; reports links instead of following them', async () => {
    await mkdir(join(dir, '.davsync-client'));
    await writeFile(join(dir, '.davsync-client', 'state.db'), 'x');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'f.txt'), 'hello');
    await utimes(join(dir, 'sub', 'f.txt'), 1_700_000_000, 1_700_000_000.5);
    await symlink('/etc', join(dir, 'link'));
    const scan = await scanLocal(dir);
    expect([...scan.entries.keys()].sort()).toEqual(['sub', 'sub/f.txt']);
    expect(scan.entries.get('sub/f.txt')).toMatchObject({ kind: 'file', size: 5, mtimeNs: '1700000000500000000', ino: expect.stringMatching(/^\d+$/) });
    expect(scan.skipped).toEqual([{ path: 'link', reason: 'a symbolic link (not followed)' }]);
  });

  it('is bounded', async () => {
    for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}`), '');
    await expect(scanLocal(dir, 3)).rejects.toThrow('more than 3 files and folders');
  });
});
