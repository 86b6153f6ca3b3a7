/**
 * The local tree: a stat walk of the synced folder, skipping the client's
 * own `.davsync-client/`. Files are not read — size, mtime (ns) and inode
 * are compared with the synced state by the planner. Symbolic links and
 * other special files are reported, not followed (a link out of the folder
 * would sync what is not in it). Bounded by `maxEntries`.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalEntry } from '../sync/entries';

export const STATE_DIR = '.davsync-client';

export interface LocalScan {
  readonly entries: Map<string, LocalEntry>;
  /** Paths left out, with why (a symlink, a socket, a name with a `\` on…). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

export async function scanLocal(root: string, maxEntries = 1_000_000): Promise<LocalScan> {
  const entries = new Map<string, LocalEntry>();
  const skipped: { path: string; reason: string }[] = [];
  const queue = [''];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    let names: string[];
    try {
      names = (await readdir(join(root, dir))).sort();
    } catch (err) {
      // A folder removed during the scan: its parent's next scan will not list it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir !== '') continue;
      throw err;
    }
    for (const name of names) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (path === STATE_DIR) continue;
      if (entries.size >= maxEntries) throw new Error(`davsync: more than ${maxEntries} files and folders under ${root}; stopping`);
      let st;
      try {
        st = await lstat(join(root, path), { bigint: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (st.isDirectory()) {
        entries.set(path, { path, kind: 'dir', ino: String(st.ino) });
        queue.push(path);
      } else if (st.isFile()) {
        entries.set(path, { path, kind: 'file', size: Number(st.size), mtimeNs: String(st.mtimeNs), ino: String(st.ino) });
      } else {
        skipped.push({ path, reason: st.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file or folder' });
      }
    }
  }
  return { entries, skipped };
}
