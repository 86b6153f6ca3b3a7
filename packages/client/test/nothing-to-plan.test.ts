/**
 * The no-change shortcut (`sync/nothing-to-plan.ts`) must be exact: it may
 * answer "nothing to plan" only when the planner would return no action.
 * - As a property: random synced / local / remote pictures written to a
 *   real state database, each perturbed a little (a file added, removed,
 *   touched, renamed over with the same size and mtime; an ETag moved on
 *   or missing; a kind changed; a same-tick digest; the state folder's
 *   name on the server), and the shortcut's answer compared with `plan()`'s.
 * - End to end: after an agreed pass, each kind of change still syncs, and
 *   the shortcut is seen to be taken (the synced tree is never read) only
 *   when nothing changed.
 */
import { mkdtemp, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { SyncState, syncUntilAgreed, type RemoteCollection } from '../src/index';
import type { RemoteEntry } from '../src/remote/remote-entry';
import type { EntryKind, LocalEntry, SyncedEntry } from '../src/sync/entries';
import { nothingToPlan } from '../src/sync/nothing-to-plan';
import { plan } from '../src/sync/planner';
import { useClientFixture } from './support/client-fixture';
import type { TestDavServer } from './support/davsync-server';
import { localFiles, putRemote, remoteFiles, writeLocal } from './support/trees';

const RUNS = Number(process.env['DAVSYNC_MODEL_RUNS'] ?? 300);
const PATHS = ['a', 'b.txt', 'd', 'd/x', 'd/y', 'e', 'e/z'];
/** A name the planner reports and never syncs; the scan never yields it, but a state or a server may hold it. */
const STATE_NAME = '.davsync-client';

type LocalOp = 'same' | 'absent' | 'size' | 'mtime' | 'ino' | 'kind';
type RemoteOp = 'same' | 'absent' | 'etag' | 'no-etag' | 'kind';
interface PathCase {
  readonly synced: boolean;
  readonly kind: EntryKind;
  /** 'same' for a path not synced: absent on that side too ('absent' then adds it). */
  readonly local: LocalOp;
  readonly remote: RemoteOp;
  /** Synced with a digest (a same-tick identity): the pass hashes the file, and here it was edited or not. */
  readonly racy: boolean;
  readonly racyEdit: boolean;
}

// Mostly unchanged, so that both answers come up often.
const localOp = fc.oneof({ arbitrary: fc.constant<LocalOp>('same'), weight: 30 }, { arbitrary: fc.constantFrom<LocalOp>('absent', 'size', 'mtime', 'ino', 'kind'), weight: 1 });
const remoteOp = fc.oneof({ arbitrary: fc.constant<RemoteOp>('same'), weight: 30 }, { arbitrary: fc.constantFrom<RemoteOp>('absent', 'etag', 'no-etag', 'kind'), weight: 1 });
const pathCase: fc.Arbitrary<PathCase> = fc.record({
  synced: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
  kind: fc.constantFrom<EntryKind>('file', 'dir'),
  local: localOp,
  remote: remoteOp,
  racy: fc.oneof({ arbitrary: fc.constant(false), weight: 20 }, { arbitrary: fc.constant(true), weight: 1 }),
  racyEdit: fc.boolean(),
});

const other = (kind: EntryKind): EntryKind => (kind === 'file' ? 'dir' : 'file');

function picture(cases: readonly PathCase[], stateName: boolean) {
  const synced = new Map<string, SyncedEntry>();
  const local = new Map<string, LocalEntry>();
  const remote = new Map<string, RemoteEntry>();
  PATHS.forEach((path, i) => {
    const c = cases[i]!;
    const file = c.kind === 'file';
    const s: SyncedEntry = file
      ? { path, kind: 'file', etag: `"e${i}"`, fileId: `F${i}`, size: 10 + i, mtimeNs: `17000000000${i}`, ino: `${100 + i}`, ...(c.racy ? { sha1: 'a'.repeat(40) } : {}) }
      : { path, kind: 'dir', fileId: `F${i}`, ino: `${100 + i}` };
    const l: LocalEntry = file ? { path, kind: 'file', size: s.size!, mtimeNs: s.mtimeNs!, ino: s.ino! } : { path, kind: 'dir', ino: s.ino! };
    const r: RemoteEntry = file ? { path, kind: 'file', etag: s.etag!, fileId: s.fileId! } : { path, kind: 'dir', fileId: s.fileId! };
    if (c.synced) synced.set(path, s);
    // Not synced: present on a side only when that side "changed" (it was added there).
    const localHere = c.synced ? c.local !== 'absent' : c.local !== 'same';
    const remoteHere = c.synced ? c.remote !== 'absent' : c.remote !== 'same';
    if (localHere) {
      if (c.local === 'kind') local.set(path, other(c.kind) === 'file' ? { path, kind: 'file', size: 1, mtimeNs: '1', ino: `${900 + i}` } : { path, kind: 'dir', ino: `${900 + i}` });
      else if (c.local === 'size' && file) local.set(path, { ...l, size: l.size! + 1 });
      else if (c.local === 'mtime' && file) local.set(path, { ...l, mtimeNs: `${l.mtimeNs}9` });
      // Another file put in its place with the same size and mtime (a rename over it): only the inode tells.
      else if (c.local === 'ino') local.set(path, { ...l, ino: `${900 + i}` });
      // Identity unchanged: the pass hashed a racy file (hashRacyFiles), so the scan's entry carries its digest.
      else local.set(path, c.racy && file ? { ...l, sha1: c.racyEdit ? 'b'.repeat(40) : s.sha1! } : l);
    }
    if (remoteHere) {
      if (c.remote === 'kind') remote.set(path, { path, kind: other(c.kind), ...(c.kind === 'dir' ? { etag: '"k"' } : {}) });
      else if (c.remote === 'etag' && file) remote.set(path, { ...r, etag: `"e${i}-2"` });
      else if (c.remote === 'no-etag' && file) remote.set(path, { path, kind: 'file', fileId: r.fileId! });
      else remote.set(path, r);
    }
  });
  if (stateName) {
    synced.set(STATE_NAME, { path: STATE_NAME, kind: 'dir', ino: '99' });
    remote.set(STATE_NAME, { path: STATE_NAME, kind: 'dir' });
  }
  return { synced, local, remote };
}

describe('nothingToPlan, against the planner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'davsync-nothing-to-plan-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says "nothing to plan" exactly when plan() is empty (same-tick files compared by their digests)', async () => {
    let run = 0;
    const seen = { yes: 0, no: 0 };
    fc.assert(
      fc.property(fc.array(pathCase, { minLength: PATHS.length, maxLength: PATHS.length }), fc.boolean(), fc.nat(9), (cases, rootListed, oneIn10) => {
        const { synced, local, remote } = picture(cases, oneIn10 === 0);
        const state = SyncState.open(join(dir, `state-${run++}.db`), 'http://h/dav/');
        try {
          state.transaction(() => {
            for (const s of synced.values()) state.setSynced(s);
            for (const r of remote.values()) state.setRemote(r.path, r);
            // Some feeds list the collection itself: the planner ignores it, so must the shortcut.
            if (rootListed) state.setRemote('', { path: '', kind: 'dir' });
          });
          const empty = plan({ synced, local, remote, now: new Date(0) }).length === 0;
          const answer = nothingToPlan(state, local);
          expect(answer).toBe(empty);
          seen[answer ? 'yes' : 'no']++;
        } finally {
          state.close();
        }
      }),
      { numRuns: RUNS },
    );
    // Both answers were exercised, not just one.
    expect(seen.yes).toBeGreaterThan(RUNS / 20);
    expect(seen.no).toBeGreaterThan(RUNS / 20);
    // ~20 ms a run (a pass over a temporary folder and a server each): 6 s here under load, and a slow
    // CI runner took 3-4x a test's local time; the runs, not the clock, decide this test.
  }, Math.max(30_000, RUNS * 300));
});

describe('davsync sync: the no-change shortcut, end to end', () => {
  let tmp: string;
  let dir: string;
  let server: TestDavServer;
  let remote: RemoteCollection;

  useClientFixture('davsync-shortcut-', (fx) => ({ tmp, dir, server, remote } = fx));

  const sync = () => syncUntilAgreed({ dir, url: server.url, now: () => new Date('2026-12-02T08:00:00Z') });
  const PAST = 1_700_000_000; // seconds: long before the pass, so the identity is trusted (not "racy")

  /** Two synced files with old times, agreed; then a pass that must take the shortcut. */
  async function syncedFolder(): Promise<void> {
    await writeLocal(dir, 'a.txt', 'aaaa');
    await writeLocal(dir, 'sub/b.txt', 'bbbb');
    await utimes(join(dir, 'a.txt'), PAST, PAST);
    await utimes(join(dir, 'sub/b.txt'), PAST, PAST);
    expect((await sync()).agreed).toBe(true);
  }

  /** A pass, and whether it took the shortcut: the full planner reads the synced tree, the shortcut never does. */
  async function passTakingShortcut() {
    const read = jest.spyOn(SyncState.prototype, 'synced');
    const result = await syncUntilAgreed({ dir, url: server.url, now: () => new Date('2026-12-02T08:00:00Z') }, 1);
    const planned = read.mock.calls.length > 0;
    read.mockRestore();
    return { result, shortcut: !planned };
  }

  const both = async () => ({ here: await localFiles(dir), there: await remoteFiles(remote, tmp) });

  it('is taken when nothing changed, and the pass does nothing', async () => {
    await syncedFolder();
    const { result, shortcut } = await passTakingShortcut();
    expect(shortcut).toBe(true);
    expect(result.agreed).toBe(true);
    expect(result.passes[0]!.actions).toEqual([]);
  });

  it('a file replaced by another of the same size and mtime (a new inode) is still uploaded', async () => {
    await syncedFolder();
    const before = await stat(join(dir, 'a.txt'), { bigint: true });
    await writeFile(join(tmp, 'new'), 'AAAA'); // same size
    await utimes(join(tmp, 'new'), PAST, PAST); // same mtime
    await rename(join(tmp, 'new'), join(dir, 'a.txt'));
    const after = await stat(join(dir, 'a.txt'), { bigint: true });
    expect([after.size, after.mtimeNs, after.ino === before.ino]).toEqual([before.size, before.mtimeNs, false]);
    const { result, shortcut } = await passTakingShortcut();
    expect(shortcut).toBe(false);
    expect(result.passes[0]!.counts.uploaded).toBe(1);
    expect((await both()).there['a.txt']).toBe('AAAA');
  });

  it('a file added here, or removed here, goes to the server', async () => {
    await syncedFolder();
    await writeLocal(dir, 'sub/new.txt', 'new');
    expect((await passTakingShortcut()).shortcut).toBe(false);
    expect((await both()).there['sub/new.txt']).toBe('new');
    await unlink(join(dir, 'a.txt'));
    expect((await passTakingShortcut()).shortcut).toBe(false);
    expect((await both()).there['a.txt']).toBeUndefined();
  });

  it('a change on the server comes down', async () => {
    await syncedFolder();
    await putRemote(remote, tmp, 'sub/b.txt', 'server edit');
    const { result, shortcut } = await passTakingShortcut();
    expect(shortcut).toBe(false);
    expect(result.passes[0]!.counts.downloaded).toBe(1);
    expect((await both()).here['sub/b.txt']).toBe('server edit');
  });

  it('a file recorded in its tick (with a digest) and unchanged: hashed, equal, the shortcut is taken', async () => {
    const tick = Math.floor(Date.now() / 1000) + 3600; // after the recording: racy however slow the machine
    await writeLocal(dir, 'a.txt', 'aaaa');
    await utimes(join(dir, 'a.txt'), tick, tick);
    expect((await sync()).agreed).toBe(true);
    const { result, shortcut } = await passTakingShortcut();
    expect(shortcut).toBe(true);
    expect(result.passes[0]!.actions).toEqual([]);
  });

  it('an edit in the tick of the last recording (size, mtime and inode unchanged) is hashed and uploaded, not skipped', async () => {
    // An mtime after the recording (as one in its tick would be, but never settling however slow the machine):
    // recorded with its digest ("racy", entries.ts).
    const tick = Math.floor(Date.now() / 1000) + 3600;
    await writeLocal(dir, 'a.txt', 'aaaa');
    await utimes(join(dir, 'a.txt'), tick, tick);
    expect((await sync()).agreed).toBe(true);
    const before = await stat(join(dir, 'a.txt'), { bigint: true });
    await writeFile(join(dir, 'a.txt'), 'zzzz'); // in place: same inode, same size
    await utimes(join(dir, 'a.txt'), tick, tick); // and the same mtime, as a same-tick edit leaves it
    const after = await stat(join(dir, 'a.txt'), { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    const { result, shortcut } = await passTakingShortcut();
    expect(shortcut).toBe(false);
    expect(result.passes[0]!.counts.uploaded).toBe(1);
    expect((await both()).there['a.txt']).toBe('zzzz');
  });
});
