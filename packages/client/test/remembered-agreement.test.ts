/**
 * `SyncState.remoteAsSynced` remembers a "yes" (meta `agreed`) so that the
 * next idle pass skips the whole-table comparison; every write to `remote`
 * or `synced` forgets it, in the same transaction (triggers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SyncState } from '../src/state/sync-state';
import { remoteChanged, type SyncedEntry } from '../src/sync/entries';
import type { RemoteEntry } from '../src/remote/remote-entry';

const URL = 'http://h/dav/';
let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-client-agreed-'));
  file = join(dir, 'state.db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A state whose two tables agree (one folder, one file), the agreement checked and so remembered. */
function agreedState(): SyncState {
  const state = SyncState.open(file, URL);
  state.applyRemote([
    { type: 'changed', entry: { path: 'd', kind: 'dir', fileId: 'D' } },
    { type: 'changed', entry: { path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F' } },
  ]);
  state.setSynced({ path: 'd', kind: 'dir', fileId: 'D', ino: '1' });
  state.setSynced({ path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F', size: 1, mtimeNs: '5', ino: '2' });
  expect(state.agreementRemembered()).toBe(false);
  expect(state.remoteAsSynced()).toBe(true);
  expect(state.agreementRemembered()).toBe(true);
  return state;
}

/** Writes to the database behind SyncState's back (it holds an exclusive lock, so after closing it). */
function raw(sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('the remembered agreement of the remote and synced tables', () => {
  it('is answered from memory, without comparing: a difference slipped in behind the triggers goes unseen', () => {
    agreedState().close();
    // Bypass the triggers to prove the comparison is skipped (this is exactly what they exist to prevent).
    raw("DROP TRIGGER remote_update_spoils_agreed; UPDATE remote SET etag = '\"2\"' WHERE path = 'd/x';");
    const state = SyncState.open(file, URL); // re-creates the dropped trigger
    try {
      expect(state.remoteAsSynced()).toBe(true);
      // Once forgotten, the comparison runs and sees the difference.
      state.setRemote('d/x', { path: 'd/x', kind: 'file', etag: '"2"', fileId: 'F' });
      expect(state.remoteAsSynced()).toBe(false);
      expect(state.agreementRemembered()).toBe(false);
    } finally {
      state.close();
    }
  });

  it('survives closing and opening again (an idle pass of a new process uses it)', () => {
    agreedState().close();
    const state = SyncState.open(file, URL);
    try {
      expect(state.agreementRemembered()).toBe(true);
    } finally {
      state.close();
    }
  });

  it('is not remembered when the tables differ', () => {
    const state = SyncState.open(file, URL);
    try {
      state.applyRemote([{ type: 'changed', entry: { path: 'a', kind: 'file', etag: '"1"' } }]);
      expect(state.remoteAsSynced()).toBe(false);
      expect(state.agreementRemembered()).toBe(false);
    } finally {
      state.close();
    }
  });

  const writers: [string, (s: SyncState) => void][] = [
    ['a feed page', (s) => s.applyRemote([{ type: 'changed', entry: { path: 'n', kind: 'file', etag: '"9"' } }])],
    ['a feed removal', (s) => s.applyRemote([{ type: 'removed', path: 'd/x' }])],
    ['a full listing that drops a path', (s) => s.finishFeed([{ path: '', recursive: true }], new Set(['d']), { mode: 'propfind' })],
    ['setRemote', (s) => s.setRemote('d/x', { path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F' })],
    ['setRemote(undefined)', (s) => s.setRemote('d/x', undefined)],
    ['setSynced', (s) => s.setSynced({ path: 'd/x', kind: 'file', etag: '"1"', fileId: 'F', size: 2, mtimeNs: '6', ino: '2' })],
    ['forgetSynced', (s) => s.forgetSynced('d')],
    ['a synced move', (s) => s.move('synced', 'd', 'e')],
    ['a remote move', (s) => s.move('remote', 'd', 'e')],
    ['commitPending', (s) => s.commitPending({ path: 'p', kind: 'file', etag: '"3"', size: 1, mtimeNs: '1', ino: '3' })],
    [
      'resolvePending adopting a download',
      (s) => {
        s.setPending({ path: 'p', kind: 'file', etag: '"3"', size: 1, mtimeNs: '1', ino: '3' });
        s.resolvePending(() => ({ size: 1, mtimeNs: '1', ino: '3' }));
      },
    ],
  ];
  it.each(writers)('is forgotten by %s, durably', (_name, write) => {
    const state = agreedState();
    write(state);
    expect(state.agreementRemembered()).toBe(false);
    state.close();
    const again = SyncState.open(file, URL);
    try {
      expect(again.agreementRemembered()).toBe(false);
    } finally {
      again.close();
    }
  });

  it('is forgotten by adoptFileIds giving a synced row its ID', () => {
    const state = SyncState.open(file, URL);
    try {
      state.applyRemote([{ type: 'changed', entry: { path: 'd', kind: 'dir', fileId: 'D' } }]);
      state.setSynced({ path: 'd', kind: 'dir', ino: '1' }); // made by MKCOL: no ID yet
      expect(state.remoteAsSynced()).toBe(true);
      state.adoptFileIds();
      expect(state.synced().get('d')?.fileId).toBe('D');
      expect(state.agreementRemembered()).toBe(false);
    } finally {
      state.close();
    }
  });

  it('a write rolled back (a transaction that failed) leaves both the rows and the memory as they were', () => {
    const state = agreedState();
    try {
      expect(() =>
        state.transaction(() => {
          state.setSynced({ path: 'd/x', kind: 'file', etag: '"7"', size: 1, mtimeNs: '5', ino: '2' });
          throw new Error('stopped midway');
        }),
      ).toThrow('stopped midway');
      expect(state.synced().get('d/x')?.etag).toBe('"1"');
      expect(state.agreementRemembered()).toBe(true);
    } finally {
      state.close();
    }
  });
});

describe('SyncState.remoteDifferences', () => {
  it('lists exactly the paths where remoteChanged says the remote side differs from the synced one', () => {
    const state = SyncState.open(file, URL);
    try {
      const remote: RemoteEntry[] = [
        { path: '', kind: 'dir' }, // the root: never a difference
        { path: 'same', kind: 'file', etag: '"1"' },
        { path: 'edited', kind: 'file', etag: '"2"' },
        { path: 'no-etag-here', kind: 'file' },
        { path: 'became-dir', kind: 'dir' },
        { path: 'new', kind: 'file', etag: '"n"' },
        { path: 'dir', kind: 'dir' },
        { path: 'dir/a b', kind: 'file', etag: '"a"' },
      ];
      const synced: SyncedEntry[] = [
        { path: 'same', kind: 'file', etag: '"1"' },
        { path: 'edited', kind: 'file', etag: '"1"' },
        { path: 'no-etag-here', kind: 'file', etag: '"3"' },
        { path: 'became-dir', kind: 'file', etag: '"4"' },
        { path: 'gone', kind: 'file', etag: '"5"' },
        { path: 'dir', kind: 'dir' },
        { path: 'dir/a b', kind: 'file', etag: '"a"' },
        { path: 'dir/gone too', kind: 'file', etag: '"g"' },
      ];
      state.applyRemote(remote.map((entry) => ({ type: 'changed', entry })));
      for (const s of synced) state.setSynced(s);
      const paths = [...new Set([...remote, ...synced].map((e) => e.path))].filter((p) => p !== '');
      const expected = paths.filter((p) => remoteChanged(synced.find((s) => s.path === p), remote.find((r) => r.path === p))).sort();
      expect(expected).toEqual(['became-dir', 'dir/gone too', 'edited', 'gone', 'new']);
      expect(state.remoteDifferences().sort()).toEqual(expected);
      expect(state.remoteAsSynced()).toBe(false);
    } finally {
      state.close();
    }
  });

  it('is empty, without a query, while the agreement is remembered', () => {
    const state = agreedState();
    try {
      expect(state.remoteDifferences()).toEqual([]);
      expect(state.syncedUnder('d').map((s) => s.path).sort()).toEqual(['d', 'd/x']);
      expect(state.remoteUnder('d/x').map((r) => r.path)).toEqual(['d/x']);
      expect(state.holds('d/x')).toBe(true);
      expect(state.holds('d/y')).toBe(false);
      expect(state.syncedFileCount()).toBe(1);
    } finally {
      state.close();
    }
  });
});

describe('the differences after a remembered agreement: the paths written since', () => {
  /** The differences a fresh connection computes by joining the tables (no agreement remembered: not tracked). */
  function joined(): string[] {
    raw("DELETE FROM meta WHERE key = 'agreed'");
    const state = SyncState.open(file, URL);
    try {
      return state.remoteDifferences().sort();
    } finally {
      state.close();
    }
  }

  it('cover every difference the join finds, whatever wrote it', () => {
    agreedState().close();
    const state = SyncState.open(file, URL); // opened with the agreement remembered: tracking
    let tracked: string[];
    try {
      state.applyRemote([
        { type: 'changed', entry: { path: 'n', kind: 'file', etag: '"9"' } },
        { type: 'removed', path: 'd' }, // takes d/x with it, row by row
      ]);
      state.setSynced({ path: 'm', kind: 'file', etag: '"m"' });
      state.move('synced', 'm', 'moved/m');
      tracked = state.remoteDifferences().sort();
    } finally {
      state.close();
    }
    const differences = joined();
    expect(differences).toEqual(['d', 'd/x', 'moved/m', 'n']);
    for (const p of differences) expect(tracked).toContain(p);
  });

  it('are none while nothing was written', () => {
    agreedState().close();
    const state = SyncState.open(file, URL);
    try {
      state.remoteAsSynced();
      expect(state.remoteDifferences()).toEqual([]);
      state.setRemote('d/x', { path: 'd/x', kind: 'file', etag: '"2"', fileId: 'F' });
      expect(state.remoteDifferences()).toEqual(['d/x']);
    } finally {
      state.close();
    }
  });
});
