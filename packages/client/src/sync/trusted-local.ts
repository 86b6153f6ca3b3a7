/**
 * The local side of a pass that does not scan (continuous mode, the folder
 * watcher quiet since the previous pass began): each synced path with the
 * identity the state recorded for it. The planner then sees no local
 * change and plans only the server's.
 *
 * Why this is safe even when the watcher missed an edit: every action such
 * a plan holds that replaces or removes a local file (download,
 * delete-local) re-reads the file's identity just before, and compares it
 * with this tree (`changedLocally` in executor.ts) — the state's identity,
 * so a missed edit defers the action instead of overwriting it, and the
 * continuous loop follows with a scanning pass, which plans a conflict
 * copy or an upload as always. Folders are removed only when empty.
 */
import type { LocalScan } from '../local/local-scan';
import type { SyncState } from '../state/sync-state';
import type { LocalEntry, SyncedEntry } from './entries';

export function trustedLocal(state: SyncState): LocalScan {
  const entries = new Map<string, LocalEntry>();
  for (const s of state.synced().values()) entries.set(s.path, trustedEntry(s));
  return { entries, skipped: [] };
}

/** A synced path's local side as the state recorded it (no digest: a racy one is hashed before planning). */
export function trustedEntry(s: SyncedEntry): LocalEntry {
  return {
    path: s.path,
    kind: s.kind,
    ...(s.size === undefined ? {} : { size: s.size }),
    ...(s.mtimeNs === undefined ? {} : { mtimeNs: s.mtimeNs }),
    ...(s.ino === undefined ? {} : { ino: s.ino }),
  };
}
