/**
 * Local writes that a crash cannot leave half done: content goes to a
 * temporary file in `.davsync-client/tmp` (same file system, so the rename
 * is atomic), is fsynced, renamed into place, and the folder fsynced so the
 * rename itself is durable.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm, rmdir, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalEntry } from '../sync/entries';
import { STATE_DIR } from './local-scan';
import { READ_BYTES } from './reused-reads';

export class LocalFolder {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, STATE_DIR, 'tmp');
  }

  abs(path: string): string {
    return join(this.root, ...path.split('/'));
  }

  /** Clears what a killed pass left in tmp (never anything else). */
  async prepare(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) await rm(join(this.tmpDir, name), { force: true, recursive: true });
  }

  tempFile(): string {
    return join(this.tmpDir, `${randomBytes(8).toString('hex')}.part`);
  }

  /** The entry at `path` now, or undefined; the same identity the scan records. */
  async stat(path: string): Promise<LocalEntry | undefined> {
    try {
      const st = await lstat(this.abs(path), { bigint: true });
      if (st.isDirectory()) return { path, kind: 'dir', ino: String(st.ino) };
      if (st.isFile()) return { path, kind: 'file', size: Number(st.size), mtimeNs: String(st.mtimeNs), ino: String(st.ino) };
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  /** The identity of a file outside the tree (a finished download), under the path it is going to have. */
  async statAbsolute(file: string, path: string): Promise<LocalEntry> {
    const st = await lstat(file, { bigint: true });
    return { path, kind: 'file', size: Number(st.size), mtimeNs: String(st.mtimeNs), ino: String(st.ino) };
  }

  /** Gives a file (a finished download, before it is installed) a modification time, in ms since the epoch. */
  async stampModified(file: string, ms: number): Promise<void> {
    const at = new Date(ms);
    await utimes(file, at, at);
  }

  /** Drops a temporary file that will not be installed. */
  async discard(temp: string): Promise<void> {
    await rm(temp, { force: true });
  }

  /** Moves a finished temporary file into place (parents made), durably. */
  async install(temp: string, path: string): Promise<void> {
    const target = this.abs(path);
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
    await syncDir(dirname(target));
  }

  /**
   * Moves a finished temporary file into place (parents made) without
   * making the rename durable: the caller fsyncs the folders of a whole
   * batch at once (`syncFolders`) before it records any of them.
   */
  async place(temp: string, path: string): Promise<void> {
    const target = this.abs(path);
    try {
      await rename(temp, target);
    } catch (err) {
      // The folder is usually there (made before its files): made only when the rename says it is not.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    }
  }

  /** Makes the entries of these folders (relative paths, '' the root) durable: one fsync each. */
  async syncFolders(paths: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(paths)].map((p) => syncDir(this.abs(p))));
  }

  async rename(from: string, to: string): Promise<void> {
    const target = this.abs(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.abs(from), target);
    await syncDir(dirname(target));
    if (dirname(target) !== dirname(this.abs(from))) await syncDir(dirname(this.abs(from)));
  }

  /** `durable: false`: the caller fsyncs the parent later (`syncFolders`), with others. */
  async mkdir(path: string, durable = true): Promise<void> {
    await mkdir(this.abs(path), { recursive: true });
    if (durable) await syncDir(dirname(this.abs(path)));
  }

  async unlink(path: string): Promise<void> {
    await rm(this.abs(path), { force: true });
    await syncDir(dirname(this.abs(path)));
  }

  /** Removes an empty folder; a folder that is not empty (something new arrived) is left, and `false` says so. */
  async rmdir(path: string): Promise<boolean> {
    try {
      await rmdir(this.abs(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
    await syncDir(dirname(this.abs(path)));
    return true;
  }
}

/** Whether two files hold the same bytes (sizes first; then both read in step, each through one reused buffer). */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  if (sa.size !== sb.size) return false;
  const ha = await open(a, 'r');
  try {
    const hb = await open(b, 'r');
    try {
      const bufA = Buffer.allocUnsafe(READ_BYTES);
      const bufB = Buffer.allocUnsafe(READ_BYTES);
      for (let at = 0; ; at += READ_BYTES) {
        const [ra, rb] = await Promise.all([readFull(ha, bufA, at), readFull(hb, bufB, at)]);
        if (ra !== rb || !bufA.subarray(0, ra).equals(bufB.subarray(0, rb))) return false;
        if (ra < READ_BYTES) return true;
      }
    } finally {
      await hb.close();
    }
  } finally {
    await ha.close();
  }
}

/** Fills `buffer` from `position` unless the file ends first; the bytes read. */
async function readFull(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buffer.length) {
    const { bytesRead } = await handle.read(buffer, got, buffer.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
