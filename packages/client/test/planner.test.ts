/**
 * The planner's rules by example: each case is a small three-tree picture
 * and the actions it must give.
 */
import { describe, expect, it } from '@jest/globals';
import { conflictName } from '../src/sync/conflict-name';
import type { LocalEntry, SyncedEntry } from '../src/sync/entries';
import { plan, type Action } from '../src/sync/planner';
import type { RemoteEntry } from '../src/remote/remote-entry';

const now = new Date('2026-12-02T07:05:09Z');
const S = (path: string, etag: string, ino = `i-${path}`, extra: Partial<SyncedEntry> = {}): SyncedEntry => ({ path, kind: 'file', etag, size: 1, mtimeNs: '100', ino, ...extra });
const Sd = (path: string, extra: Partial<SyncedEntry> = {}): SyncedEntry => ({ path, kind: 'dir', ino: `i-${path}`, ...extra });
const L = (path: string, mtimeNs = '100', ino = `i-${path}`): LocalEntry => ({ path, kind: 'file', size: 1, mtimeNs, ino });
const Ld = (path: string, ino = `i-${path}`): LocalEntry => ({ path, kind: 'dir', ino });
const R = (path: string, etag: string, extra: Partial<RemoteEntry> = {}): RemoteEntry => ({ path, kind: 'file', etag, ...extra });
const Rd = (path: string, extra: Partial<RemoteEntry> = {}): RemoteEntry => ({ path, kind: 'dir', ...extra });

function run(synced: SyncedEntry[], local: LocalEntry[], remote: RemoteEntry[]): Action[] {
  const m = <T extends { path: string }>(xs: T[]) => new Map(xs.map((x) => [x.path, x]));
  return plan({ synced: m(synced), local: m(local), remote: m(remote), now });
}

describe('plan: one side changed', () => {
  it('nothing to do when neither side changed', () => {
    expect(run([S('a', '"1"')], [L('a')], [R('a', '"1"')])).toEqual([]);
  });
  it('new on one side: copied to the other (a new upload is If-None-Match)', () => {
    expect(run([], [L('a')], [])).toEqual([{ type: 'upload', path: 'a' }]);
    expect(run([], [], [R('b', '"2"')])).toEqual([{ type: 'download', path: 'b', etag: '"2"' }]);
  });
  it('edited on one side: copied over the unchanged other, conditionally', () => {
    expect(run([S('a', '"1"')], [L('a', '200')], [R('a', '"1"')])).toEqual([{ type: 'upload', path: 'a', ifMatch: '"1"' }]);
    expect(run([S('a', '"1"')], [L('a')], [R('a', '"2"')])).toEqual([{ type: 'download', path: 'a', etag: '"2"' }]);
  });
  it('a new inode is an edit too (an editor that saves by rename keeps size and mtime rarely, but may)', () => {
    expect(run([S('a', '"1"')], [L('a', '100', 'other')], [R('a', '"1"')])).toEqual([{ type: 'upload', path: 'a', ifMatch: '"1"' }]);
  });
  it('deleted on one side, unchanged on the other: deleted there, on the synced ETag', () => {
    expect(run([S('a', '"1"')], [], [R('a', '"1"')])).toEqual([{ type: 'delete-remote', path: 'a', kind: 'file', ifMatch: '"1"' }]);
    expect(run([S('a', '"1"')], [L('a')], [])).toEqual([{ type: 'delete-local', path: 'a', kind: 'file' }]);
  });
});

describe('plan: both sides changed', () => {
  it('edited on both: the remote wins the name, the local is kept as a dated conflict copy', () => {
    expect(run([S('dir/notes.txt', '"1"')], [L('dir/notes.txt', '200')], [R('dir/notes.txt', '"2"')])).toEqual([
      { type: 'conflict', path: 'dir/notes.txt', copy: 'dir/notes (conflict 2026-12-02 070509).txt', etag: '"2"' },
    ]);
  });
  it('created on both: a conflict too (the executor drops the copy when the bytes agree)', () => {
    expect(run([], [L('x')], [R('x', '"9"')])).toEqual([{ type: 'conflict', path: 'x', copy: 'x (conflict 2026-12-02 070509)', etag: '"9"' }]);
  });
  it('deleted on one side, edited on the other: the edit is kept', () => {
    expect(run([S('a', '"1"')], [], [R('a', '"2"')])).toEqual([{ type: 'download', path: 'a', etag: '"2"' }]);
    expect(run([S('a', '"1"')], [L('a', '300')], [])).toEqual([{ type: 'upload', path: 'a' }]);
  });
  it('deleted on both: the state forgets it', () => {
    expect(run([S('a', '"1"')], [], [])).toEqual([{ type: 'record', path: 'a' }]);
  });
});

describe('plan: folders', () => {
  it('made top-down, deleted bottom-up', () => {
    expect(run([], [Ld('d'), Ld('d/e'), L('d/e/f')], [])).toEqual([
      { type: 'mkdir-remote', path: 'd' },
      { type: 'mkdir-remote', path: 'd/e' },
      { type: 'upload', path: 'd/e/f' },
    ]);
    expect(run([Sd('d'), Sd('d/e'), S('d/e/f', '"1"')], [], [Rd('d'), Rd('d/e'), R('d/e/f', '"1"')])).toEqual([
      { type: 'delete-remote', path: 'd/e/f', kind: 'file', ifMatch: '"1"' },
      { type: 'delete-remote', path: 'd/e', kind: 'dir' },
      { type: 'delete-remote', path: 'd', kind: 'dir' },
    ]);
  });
  it('a folder deleted here is re-created when something below it was edited there', () => {
    const actions = run([Sd('d'), S('d/keep', '"1"'), S('d/gone', '"1"')], [], [Rd('d'), R('d/keep', '"2"'), R('d/gone', '"1"')]);
    expect(actions).toEqual([
      { type: 'mkdir-local', path: 'd' },
      { type: 'download', path: 'd/keep', etag: '"2"' },
      { type: 'delete-remote', path: 'd/gone', kind: 'file', ifMatch: '"1"' },
    ]);
  });
  it('a folder removed remotely keeps a new local file in it, and is made again there', () => {
    expect(run([Sd('d')], [Ld('d'), L('d/new')], [])).toEqual([
      { type: 'mkdir-remote', path: 'd' },
      { type: 'upload', path: 'd/new' },
    ]);
  });
  it('a file against a folder, and names a side cannot hold, are reported, not dropped', () => {
    expect(run([], [L('x')], [Rd('x')])).toEqual([{ type: 'skip', path: 'x', reason: 'a file on one side is a folder on the other' }]);
    expect(run([], [], [R('.davsync-client/state.db', '"1"')])).toEqual([{ type: 'skip', path: '.davsync-client/state.db', reason: 'the name of the client state folder' }]);
  });
});

describe('plan: moves', () => {
  it('a remote move (same oc:fileid at a new path) is a local rename, not a download and a delete', () => {
    expect(run([S('a', '"1"', 'i1', { fileId: 'F' })], [L('a', '100', 'i1')], [R('b', '"1"', { fileId: 'F' })])).toEqual([{ type: 'rename-local', from: 'a', to: 'b' }]);
  });
  it('a remote move with an edit: renamed, then downloaded', () => {
    expect(run([S('a', '"1"', 'i1', { fileId: 'F' })], [L('a', '100', 'i1')], [R('b', '"2"', { fileId: 'F' })])).toEqual([
      { type: 'rename-local', from: 'a', to: 'b' },
      { type: 'download', path: 'b', etag: '"2"' },
    ]);
  });
  it('a remote folder move carries its members', () => {
    const actions = run([Sd('d', { fileId: 'D' }), S('d/x', '"1"', 'ix', { fileId: 'X' })], [Ld('d'), L('d/x', '100', 'ix')], [Rd('e', { fileId: 'D' }), R('e/x', '"1"', { fileId: 'X' })]);
    expect(actions).toEqual([{ type: 'rename-local', from: 'd', to: 'e' }]);
  });
  it('a local move (same inode, size and mtime) is a remote MOVE on the synced ETag', () => {
    expect(run([S('a', '"1"', 'i1')], [L('b', '100', 'i1')], [R('a', '"1"')])).toEqual([{ type: 'rename-remote', from: 'a', to: 'b', kind: 'file', ifMatch: '"1"' }]);
  });
  it('without file IDs, a remote move is a download and a delete (nothing lost)', () => {
    expect(run([S('a', '"1"')], [L('a')], [R('b', '"1"')])).toEqual([
      { type: 'download', path: 'b', etag: '"1"' },
      { type: 'delete-local', path: 'a', kind: 'file' },
    ]);
  });
});

describe('conflictName', () => {
  it('keeps the extension last, leaves dot-files whole and numbers a second copy in the same second', () => {
    expect(conflictName('a/report.final.pdf', now)).toBe('a/report.final (conflict 2026-12-02 070509).pdf');
    expect(conflictName('.bashrc', now)).toBe('.bashrc (conflict 2026-12-02 070509)');
    expect(conflictName('x.txt', now, (p) => p === 'x (conflict 2026-12-02 070509).txt')).toBe('x (conflict 2026-12-02 070509 2).txt');
  });
});
