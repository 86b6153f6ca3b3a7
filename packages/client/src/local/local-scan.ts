/**
 * The local tree: a stat walk of the synced folder, skipping the client's
 * own `.davsync-client/`. Files are not read — size, mtime (ns) and inode
 * are compared with the synced state by the planner. Symbolic links and
 * other special files are reported, not followed (a link out of the folder
 * would sync what is not in it). Bounded by `maxEntries`.
 *
 * Synchronous `readdirSync` / `lstatSync`, folder by folder, yielding to the
 * event loop between folders: for a tree whose inodes are cached (the
 * normal case between two passes) a synchronous lstat costs a few
 * microseconds, while each awaited one is a round trip through libuv's
 * thread pool — measured 5× slower for 10 000 files, parallel or not (see
 * docs/performance.md). Yielding keeps continuous mode's watcher and
 * change stream heard during a long scan.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { LocalEntry } from '../sync/entries';

export const STATE_DIR = '.davsync-client';

export interface LocalScan {
  readonly entries: Map<string, LocalEntry>;
  /** Paths left out, with why (a symlink, a socket, a name with a `\` on…). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

/** Entries stat'ed between two yields to the event loop. */
const ENTRIES_PER_YIELD = 2000;

/** `under`: only what is below that folder (relative; default the whole tree) — a folder the watcher reported. */
export async function scanLocal(root: string, maxEntries = 1_000_000, under = ''): Promise<LocalScan> {
  const entries = new Map<string, LocalEntry>();
  const skipped: { path: string; reason: string }[] = [];
  const queue = [under];
  let sinceYield = 0;
  // Paths below the root are joined by plain concatenation: they are already normal (no `.`, `..` or `//`),
  // and path.join's normalising of every one was a measurable part of a 50 000-file scan.
  const prefix = join(root, '/');
  for (let next = 0; next < queue.length; next++) {
    const dir = queue[next]!;
    const names = listFolder(root, dir);
    if (names === undefined) continue;
    for (const name of names) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (path === STATE_DIR) continue;
      if (entries.size >= maxEntries) throw new Error(`davsync: more than ${maxEntries} files and folders under ${root}; stopping`);
      const st = lstatSync(prefix + path, { bigint: true, throwIfNoEntry: false });
      if (st === undefined) continue; // removed since the listing: the next pass sees it gone
      const entry = entryOf(path, st);
      if (entry === undefined) skipped.push({ path, reason: st.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file or folder' });
      else {
        entries.set(path, entry);
        if (entry.kind === 'dir') queue.push(path);
      }
    }
    sinceYield += names.length;
    if (sinceYield >= ENTRIES_PER_YIELD) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return { entries, skipped };
}

/**
 * A folder's member names in order, or undefined for a folder removed during the scan (its parent's next
 * scan will not list it). Names only, not `Dirent`s: every member is lstat'ed anyway, and that tells a
 * link apart too; 51 000 `Dirent` objects were a third of the scan's garbage.
 */
function listFolder(root: string, dir: string): string[] | undefined {
  try {
    return readdirSync(join(root, dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && dir !== '') return undefined;
    throw err;
  }
}

export function entryOf(path: string, st: BigIntStats): LocalEntry | undefined {
  if (st.isDirectory()) return { path, kind: 'dir', ino: String(st.ino) };
  if (st.isFile()) return { path, kind: 'file', size: Number(st.size), mtimeNs: String(st.mtimeNs), ino: String(st.ino) };
  return undefined;
}
