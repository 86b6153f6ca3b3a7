/**
 * The part of the three trees a pass must plan when it knows where things
 * changed: continuous mode, the folder watcher healthy and reporting paths,
 * the server's changes read into the state. Every path where the local side
 * or the remote side may differ from the synced state is a seed; the pass
 * plans the seeds and everything at or below them, on any side, and nothing
 * else.
 *
 * Why the plan of that part is the full plan (checked by
 * test/changed-paths.property.test.ts against `plan()` over whole trees):
 * outside it, each path is on both sides as synced, so `decide` has nothing
 * to do for it, and every rule that looks across paths stays inside it —
 * a move's source is missing from one side (a seed) and its destination is
 * new on one side (a seed), a folder's members are below it (taken with it),
 * and the only question asked of other paths, whether a conflict copy's
 * name is taken, is answered by `elsewhere` (the state: outside the part,
 * the local side holds what the synced one does).
 *
 * The local side inside the part is what lstat found at and below the
 * watched seeds, and the synced identity for the rest (trusted: the watcher
 * said nothing about it; see trusted-local.ts for why a missed edit is still
 * never overwritten).
 */
import type { RemoteEntry } from '../remote/remote-entry';
import { parentOf, type LocalEntry, type SyncedEntry } from './entries';
import { trustedEntry } from './trusted-local';

/** The synced and remote rows at and below a path (the state, or in tests whole maps). */
export interface SideRows {
  syncedUnder(path: string): Iterable<SyncedEntry>;
  remoteUnder(path: string): Iterable<RemoteEntry>;
}

/** What the pass found at the watched paths: each seed's own entry (if it exists) and everything below it. */
export interface WatchedSide {
  readonly seeds: readonly string[];
  readonly entries: ReadonlyMap<string, LocalEntry>;
}

export interface RestrictedTrees {
  readonly synced: Map<string, SyncedEntry>;
  readonly local: Map<string, LocalEntry>;
  readonly remote: Map<string, RemoteEntry>;
  /** How many paths the planner will look at. */
  readonly paths: number;
}

/**
 * `remoteSeeds`: the paths where the remote table differs from the synced one
 * (`SyncState.remoteDifferences`). `watched`: the local seeds and what lstat found there.
 */
export function restrictedTrees(remoteSeeds: Iterable<string>, watched: WatchedSide, rows: SideRows): RestrictedTrees {
  const synced = new Map<string, SyncedEntry>();
  const remote = new Map<string, RemoteEntry>();
  for (const seed of outermost([...remoteSeeds, ...watched.seeds])) {
    for (const s of rows.syncedUnder(seed)) synced.set(s.path, s);
    for (const r of rows.remoteUnder(seed)) remote.set(r.path, r);
  }
  const watchedSeeds = new Set(watched.seeds);
  const local = new Map<string, LocalEntry>(watched.entries);
  for (const s of synced.values()) if (!hasKeptAncestor(s.path, watchedSeeds)) local.set(s.path, trustedEntry(s));
  const paths = new Set([...synced.keys(), ...remote.keys(), ...local.keys()]);
  return { synced, local, remote, paths: paths.size };
}

/** The seeds not below another seed (each then read once, with everything below it). */
export function outermost(seeds: Iterable<string>): string[] {
  const kept = new Set<string>();
  // Sorted, a folder comes before everything below it (a prefix sorts first), so its members find it kept.
  for (const seed of [...new Set(seeds)].sort()) if (!hasKeptAncestor(seed, kept)) kept.add(seed);
  return [...kept];
}

function hasKeptAncestor(path: string, kept: ReadonlySet<string>): boolean {
  for (let p = path; ; p = parentOf(p)) {
    if (kept.has(p)) return true;
    if (p === '') return false;
  }
}
