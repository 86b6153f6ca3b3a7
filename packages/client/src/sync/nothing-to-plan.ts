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
 * - each synced row that carries a digest (a same-tick identity,
 *   `racy-files.ts`) has the same digest in the scan, which the pass took
 *   just before (the planner compares those by content too); and no scanned name is one the planner
 *   reports (`unholdable`): the scan never yields one.
 * Then no path changed on either side, no path is missing from one side
 * (so no move), and no name is reported: the plan is empty. Anything else
 * — a file added, removed or touched, an ETag moved on, a same-tick edit —
 * answers false and the pass plans in full, as before.
 */
import type { SyncState } from '../state/sync-state';
import type { LocalEntry } from './entries';

export function nothingToPlan(state: SyncState, local: ReadonlyMap<string, LocalEntry>): boolean {
  // The remote side first: with changes on the server it stops at the first difference.
  if (!state.remoteAsSynced()) return false;
  const synced = state.syncedIdentities();
  if (synced.count !== local.size) return false;
  // A same-tick identity is unchanged only if the content is: its digest, taken this pass (hashRacyFiles), must match.
  if (synced.racy > 0 && !state.racySynced().every((s) => s.sha1 === local.get(s.path)?.sha1)) return false;
  if (synced.count === 0) return true;
  const records = synced.records.split('\0');
  // A record split in two (a NUL in a path, impossible locally) would show here: never a false match.
  if (records.length !== synced.count) return false;
  // Each synced path found in the scan with the same record, and as many paths on both sides: the same set.
  // (Every scanned path is one the planner accepts: scanLocal never yields the state folder, an empty,
  // `.` or `..` segment, or a NUL — so no `skip` can hide behind an unchanged identity.)
  for (const record of records) {
    const entry = local.get(pathOf(record));
    if (entry === undefined || record !== identityRecord(entry)) return false;
  }
  return true;
}

/**
 * A local entry as `SyncState.syncedIdentities` writes a synced row:
 * `f \1 size \1 mtime \1 ino \1 path` for a file, `dir \1 path` for a
 * folder (a folder changes only by kind). The fields before the path hold
 * no `\1`, so two different entries never make the same record, whatever
 * their names hold.
 */
export function identityRecord(entry: LocalEntry): string {
  return entry.kind === 'file' ? `f\u0001${entry.size ?? ''}\u0001${entry.mtimeNs ?? ''}\u0001${entry.ino ?? ''}\u0001${entry.path}` : `${entry.kind}\u0001${entry.path}`;
}

/** The path at the end of a record: after the first `\1` of a folder's, the fourth of a file's. */
function pathOf(record: string): string {
  let at = record.indexOf('\u0001') + 1;
  if (record.startsWith('f\u0001')) for (let k = 0; k < 3; k++) at = record.indexOf('\u0001', at) + 1;
  return record.slice(at);
}
