/**
 * The no-change pass's shortcut. Most passes find both sides as they were
 * synced; proving that the plan is empty takes less than making it: the
 * planner needs every path of all three trees as objects (two whole tables
 * read row by row, then a union of the path sets), while this check asks
 * SQLite two questions and compares strings.
 *
 * `nothingToPlan` is true only when `plan()` would return no action:
 * - the remote tree equals the synced one (`SyncState.remoteAsSynced`:
 *   paths, kinds, ETags by `remoteChanged`'s rule);
 * - the scan holds exactly the synced paths, each with the synced kind and,
 *   for a file, the synced size, mtime (ns) and inode (`localChanged`);
 * - no synced row carries a digest (a same-tick identity that must be
 *   hashed: `racy-files.ts`), and no scanned name is one the planner
 *   reports (`unholdable`).
 * Then no path changed on either side, no path is missing from one side
 * (so no move), and no name is reported: the plan is empty. Anything else
 * — a file added, removed or touched, an ETag moved on, a racy entry —
 * answers false and the pass plans in full, as before.
 */
import type { SyncState } from '../state/sync-state';
import type { LocalEntry } from './entries';
import { unholdable } from './planner';

export function nothingToPlan(state: SyncState, local: ReadonlyMap<string, LocalEntry>): boolean {
  // The remote side first: with changes on the server it stops at the first difference.
  if (!state.remoteAsSynced()) return false;
  const synced = state.syncedIdentities();
  if (synced.racy > 0 || synced.count !== local.size) return false;
  if (synced.count === 0) return true;
  const records = synced.records.split('\0');
  // A record split in two (a NUL in a path, impossible locally) would show here: never a false match.
  if (records.length !== synced.count) return false;
  const scanned = new Set<string>();
  for (const entry of local.values()) {
    if (unholdable(entry.path) !== undefined) return false;
    scanned.add(identityRecord(entry));
  }
  // Equal counts, distinct paths on both sides: every synced record found means the same set.
  for (const record of records) if (!scanned.has(record)) return false;
  return true;
}

/**
 * A local entry as `SyncState.syncedIdentities` writes a synced row:
 * `path \1 f size \1 mtime \1 ino` for a file, `path \1 dir` for a folder
 * (a folder changes only by kind). Read from the right, the fields hold no
 * `\1`, so two different entries never make the same record.
 */
export function identityRecord(entry: LocalEntry): string {
  return entry.kind === 'file' ? `${entry.path}\u0001f${entry.size ?? ''}\u0001${entry.mtimeNs ?? ''}\u0001${entry.ino ?? ''}` : `${entry.path}\u0001${entry.kind}`;
}
