/**
 * Reading a directory the way `list` shows it: streamed with `opendir`, each
 * entry `lstat`ed, and only regular files and directories that the path
 * guard would let a client address (no symlinks, sockets, FIFOs, devices,
 * mount points, state directory, or names the OS could not be asked for).
 */
import { promises as fsp, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from './fs-errors';
import type { SafePaths } from './safe-path';

/** A visible member of a directory. */
export interface DirectoryMember {
  readonly name: string;
  readonly real: string;
  readonly kind: 'file' | 'collection';
  readonly stats: BigIntStats;
}

/**
 * The visible members of the directory at `real`, streamed. Members removed
 * while the listing runs are skipped. `atRoot` hides the state directory.
 */
export async function* readMembers(real: string, guard: SafePaths, atRoot: boolean): AsyncGenerator<DirectoryMember> {
  const dir = await fsp.opendir(real, { bufferSize: 128 });
  // A name that is not valid UTF-8 decodes with U+FFFD and then names no file
  // (its lstat fails), unless a file with the decoded name exists too: list
  // such names once.
  const replaced = new Set<string>();
  for await (const dirent of dir) {
    const name = dirent.name;
    if (!guard.isListableName(name, atRoot)) continue;
    if (name.includes('\uFFFD')) {
      if (replaced.has(name)) continue;
      replaced.add(name);
    }
    const memberReal = join(real, name);
    let stats: BigIntStats;
    try {
      stats = await fsp.lstat(memberReal, { bigint: true });
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    const kind = guard.visibleKind(stats);
    if (kind !== undefined) yield { name, real: memberReal, kind, stats };
  }
}
