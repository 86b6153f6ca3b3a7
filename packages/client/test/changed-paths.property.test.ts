/**
 * A pass that plans only the changed part of the trees (changed-paths.ts)
 * must do exactly what a plan over the whole trees does. For random
 * three-tree pictures — edits, creations, deletions, moves (a file's
 * identity showing up at another path), a file becoming a folder, a name
 * already taken by a conflict copy — and random watched paths covering at
 * least every local difference (what a working watcher reports, plus noise),
 * and remote seeds covering every remote difference (plus noise):
 * plan(restricted trees) equals plan(whole trees).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { restrictedTrees, outermost, type SideRows } from '../src/sync/changed-paths';
import { conflictName } from '../src/sync/conflict-name';
import { remoteChanged, within, type LocalEntry, type SyncedEntry } from '../src/sync/entries';
import { plan } from '../src/sync/planner';
import { trustedEntry } from '../src/sync/trusted-local';
import type { RemoteEntry } from '../src/remote/remote-entry';

const RUNS = Number(process.env['DAVSYNC_MODEL_RUNS'] ?? 500);
const NOW = new Date('2026-12-02T19:00:00Z');
// 'd' is a file in some pictures and a folder (of d/x …) in others; the last name is a conflict copy's.
const FILES = ['a', 'b.txt', 'd', 'd/x', 'd/y', 'd/e/z', 'f/w', 'f/v', 'g/h/i', 'g/j', conflictName('b.txt', NOW)];

/** A side's file at one universe path: absent, as synced, with the synced identity of another path (a move), or new. */
type Choice = { t: 'absent' } | { t: 'same' } | { t: 'from'; k: number } | { t: 'new'; inPlace: boolean };
const choice: fc.Arbitrary<Choice> = fc.oneof(
  fc.constant<Choice>({ t: 'absent' }),
  fc.constant<Choice>({ t: 'same' }),
  fc.constant<Choice>({ t: 'same' }),
  fc.nat(FILES.length - 1).map<Choice>((k) => ({ t: 'from', k })),
  fc.boolean().map<Choice>((inPlace) => ({ t: 'new', inPlace })),
);

interface PictureInput {
  readonly synced: readonly boolean[];
  readonly local: readonly Choice[];
  readonly remote: readonly Choice[];
  /** Per folder: its identity on each side is its own, or another synced folder's (a folder move). */
  readonly localDirFrom: readonly number[];
  readonly remoteDirFrom: readonly number[];
  readonly extraWatched: readonly number[];
  /** Paths given as remote seeds though they did not change there (a superset must do too). */
  readonly extraRemote: readonly number[];
}

const pictureInput: fc.Arbitrary<PictureInput> = fc.record({
  synced: fc.array(fc.boolean(), { minLength: FILES.length, maxLength: FILES.length }),
  local: fc.array(choice, { minLength: FILES.length, maxLength: FILES.length }),
  remote: fc.array(choice, { minLength: FILES.length, maxLength: FILES.length }),
  localDirFrom: fc.array(fc.integer({ min: -4, max: 6 }), { minLength: 8, maxLength: 8 }),
  remoteDirFrom: fc.array(fc.integer({ min: -4, max: 6 }), { minLength: 8, maxLength: 8 }),
  extraWatched: fc.array(fc.nat(30), { maxLength: 3 }),
  extraRemote: fc.array(fc.nat(30), { maxLength: 2 }),
});

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Drops what cannot coexist in one tree: members of a path that is a file. */
function asTree<T extends { path: string; kind: string }>(files: T[], dir: (path: string, i: number) => T): Map<string, T> {
  const fileSet = new Set(files.map((f) => f.path));
  const kept = files.filter((f) => !ancestors(f.path).some((a) => fileSet.has(a)));
  const tree = new Map<string, T>();
  const dirs = [...new Set(kept.flatMap((f) => ancestors(f.path)))].sort();
  dirs.forEach((d, i) => tree.set(d, dir(d, i)));
  for (const f of kept) tree.set(f.path, f);
  return tree;
}

function picture(input: PictureInput) {
  const syncedFiles: SyncedEntry[] = [];
  FILES.forEach((path, i) => {
    if (input.synced[i]) syncedFiles.push({ path, kind: 'file', etag: `"s:${path}"`, fileId: `F:${path}`, size: 1, mtimeNs: `m:${path}`, ino: `i:${path}` });
  });
  const synced = asTree<SyncedEntry>(syncedFiles, (path) => ({ path, kind: 'dir', fileId: `FD:${path}`, ino: `ID:${path}` }));
  const syncedDirs = [...synced.values()].filter((s) => s.kind === 'dir');
  const dirIdentity = (from: readonly number[], i: number, path: string) => {
    const k = from[i % from.length]!;
    return k >= 0 && k < syncedDirs.length ? syncedDirs[k]!.path : path;
  };

  const usedIno = new Set<string>();
  const localFiles: LocalEntry[] = [];
  FILES.forEach((path, i) => {
    const c = input.local[i]!;
    const s = synced.get(path);
    const base = c.t === 'same' ? s : c.t === 'from' ? synced.get(FILES[c.k]!) : undefined;
    let e: LocalEntry | undefined;
    if (base !== undefined && base.kind === 'file') e = { path, kind: 'file', size: base.size!, mtimeNs: base.mtimeNs!, ino: base.ino! };
    else if (c.t === 'new') e = { path, kind: 'file', size: 2, mtimeNs: `l:${path}`, ino: c.inPlace && s?.ino !== undefined ? s.ino : `li:${path}` };
    if (e === undefined) return;
    // One inode, one path (no hard links): a second user of an inode gets its own.
    if (usedIno.has(e.ino!)) e = { ...e, ino: `dup:${path}` };
    usedIno.add(e.ino!);
    localFiles.push(e);
  });
  const local = asTree<LocalEntry>(localFiles, (path, i) => ({ path, kind: 'dir', ino: `ID:${dirIdentity(input.localDirFrom, i, path)}` }));

  const usedId = new Set<string>();
  const remoteFiles: RemoteEntry[] = [];
  FILES.forEach((path, i) => {
    const c = input.remote[i]!;
    const s = synced.get(path);
    const base = c.t === 'same' ? s : c.t === 'from' ? synced.get(FILES[c.k]!) : undefined;
    let e: RemoteEntry | undefined;
    if (base !== undefined && base.kind === 'file') e = { path, kind: 'file', etag: base.etag!, fileId: base.fileId! };
    else if (c.t === 'new') e = { path, kind: 'file', etag: `"r:${path}"`, fileId: c.inPlace && s?.fileId !== undefined ? s.fileId : `RF:${path}` };
    if (e === undefined) return;
    if (usedId.has(e.fileId!)) e = { ...e, fileId: `dup:${path}` };
    usedId.add(e.fileId!);
    remoteFiles.push(e);
  });
  const remote = asTree<RemoteEntry>(remoteFiles, (path, i) => ({ path, kind: 'dir', fileId: `FD:${dirIdentity(input.remoteDirFrom, i, path)}` }));
  // Folder identities taken from another folder may now be used twice: the later use gets its own.
  dedupe(local, (e) => e.ino, (e, path) => ({ ...e, ino: `dupd:${path}` }));
  dedupe(remote, (e) => e.fileId, (e, path) => ({ ...e, fileId: `dupd:${path}` }));
  return { synced, local, remote };
}

function dedupe<T>(tree: Map<string, T>, key: (e: T) => string | undefined, fresh: (e: T, path: string) => T): void {
  const seen = new Set<string>();
  for (const [path, e] of tree) {
    const k = key(e);
    if (k === undefined) continue;
    if (seen.has(k)) tree.set(path, fresh(e, path));
    else seen.add(k);
  }
}

function under<T>(tree: ReadonlyMap<string, T>, path: string): T[] {
  return [...tree.entries()].filter(([p]) => within(p, path)).map(([, e]) => e);
}

describe('planning only the changed paths', () => {
  it('plans exactly what a plan over the whole trees does', () => {
    fc.assert(
      fc.property(pictureInput, (input) => {
        const { synced, local, remote } = picture(input);
        const all = [...new Set([...synced.keys(), ...local.keys(), ...remote.keys()])].sort();
        // The watcher reports every path whose local entry is not the synced one as recorded, and some more.
        const watched = all.filter((p) => {
          const s = synced.get(p);
          return JSON.stringify(local.get(p)) !== JSON.stringify(s === undefined ? undefined : trustedEntry(s));
        });
        for (const k of input.extraWatched) if (k < all.length) watched.push(all[k]!);
        const seeds = outermost(watched);
        const watchedEntries = new Map<string, LocalEntry>();
        for (const seed of seeds) for (const l of under(local, seed)) watchedEntries.set(l.path, l);
        const remoteSeeds = all.filter((p) => remoteChanged(synced.get(p), remote.get(p)));
        for (const k of input.extraRemote) if (k < all.length) remoteSeeds.push(all[k]!);
        const rows: SideRows = { syncedUnder: (p) => under(synced, p), remoteUnder: (p) => under(remote, p) };
        const part = restrictedTrees(remoteSeeds, { seeds, entries: watchedEntries }, rows);
        const elsewhere = (p: string) => synced.has(p) || local.has(p) || remote.has(p);

        const full = plan({ synced, local, remote, now: NOW });
        const restricted = plan({ synced: part.synced, local: part.local, remote: part.remote, now: NOW, elsewhere });
        expect(restricted).toEqual(full);
        expect(part.paths).toBeLessThanOrEqual(all.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('plans nothing and looks at nothing when nothing changed', () => {
    const { synced, local, remote } = picture({ synced: FILES.map(() => true), local: FILES.map(() => ({ t: 'same' })), remote: FILES.map(() => ({ t: 'same' })), localDirFrom: [-1], remoteDirFrom: [-1], extraWatched: [], extraRemote: [] });
    expect(plan({ synced, local, remote, now: NOW })).toEqual([]);
    const part = restrictedTrees([], { seeds: [], entries: new Map() }, { syncedUnder: (p) => under(synced, p), remoteUnder: (p) => under(remote, p) });
    expect(part.paths).toBe(0);
  });

  it('outermost keeps each seed not below another, whatever sorts between a folder and its members', () => {
    expect(outermost(['a/x', 'a b', 'a', 'a.b/c', 'a.b', 'b/c/d', 'b/c'])).toEqual(['a', 'a b', 'a.b', 'b/c']);
  });
});
