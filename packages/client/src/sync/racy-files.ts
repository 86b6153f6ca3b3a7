/**
 * Same-tick edits. A file recorded while its modification time was within
 * a file-system tick of the recording (`isRacy` in entries.ts) was stored
 * with its SHA-1, because an edit of the same size in that tick would
 * leave its size, mtime and inode as they were. Before planning, each such
 * file whose identity still looks unchanged is hashed, and the scan's entry
 * carries the digest: the planner then compares content, not identity.
 * A file whose content is unchanged and whose time is now safely in the
 * past is trusted from then on (its digest dropped): it is hashed once or
 * twice, not every pass. Returns how many were settled so.
 */
import { digestFile } from '../local/file-digests';
import type { LocalFolder } from '../local/local-files';
import type { SyncState } from '../state/sync-state';
import { isRacy, localChanged, nowNs, type LocalEntry, type SyncedEntry } from './entries';

export async function hashRacyFiles(local: LocalFolder, entries: Map<string, LocalEntry>, racy: Iterable<SyncedEntry>, state: SyncState): Promise<number> {
  let settledCount = 0;
  for (const s of racy) {
    if (s.sha1 === undefined) continue;
    const l = entries.get(s.path);
    // Changed by identity already (or gone): the planner sees that without a digest.
    if (l === undefined || l.kind !== 'file' || localChanged({ ...s, sha1: undefined } as SyncedEntry, l)) continue;
    let sha1: string;
    try {
      ({ sha1 } = await digestFile(local.abs(s.path)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the scan: the next pass sees it
      throw err;
    }
    entries.set(s.path, { ...l, sha1 });
    if (sha1 === s.sha1 && !isRacy(s, nowNs())) {
      const { sha1: _racy, ...settled } = s;
      state.setSynced(settled);
      settledCount++;
    }
  }
  return settledCount;
}
