/**
 * Copying a member — a file, or a directory with what `list` shows of it —
 * to a new path, durably. Used to stage COPY (and MOVE across mounts) in the
 * state directory before one rename publishes the result.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory } from './atomic-write';
import { readMembers } from '../listing/directory';
import { SAFE_READ_FLAGS, type SafePaths } from '../paths/safe-path';

const PIECE = 256 * 1024;

/**
 * Copies `source` (which the guard has looked up) to `target`, which must not
 * exist. A directory is copied with its visible members when `deep`, empty
 * otherwise. Everything written is fsynced.
 */
export async function copyMember(
  source: { readonly real: string; readonly kind: 'file' | 'collection' },
  target: string,
  deep: boolean,
  guard: SafePaths,
): Promise<void> {
  if (source.kind === 'file') {
    await copyFileContent(source.real, target);
    return;
  }
  await fsp.mkdir(target);
  if (deep) {
    for await (const member of readMembers(source.real, guard, false)) {
      await copyMember(member, join(target, member.name), true, guard);
    }
  }
  await fsyncDirectory(target);
}

/**
 * Copies a regular file's bytes to a new file and fsyncs it. The source is
 * opened without following a symlink (one swapped in since the lookup) and
 * checked to be a regular file on the opened descriptor. Memory stays at one
 * piece whatever the size.
 */
export async function copyFileContent(from: string, to: string): Promise<void> {
  const source = await fsp.open(from, SAFE_READ_FLAGS);
  try {
    if (!(await source.stat()).isFile()) throw Object.assign(new Error('davsync: not a regular file'), { code: 'ELOOP' });
    const target = await fsp.open(to, 'wx');
    try {
      const buffer = Buffer.allocUnsafe(PIECE);
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, PIECE, null);
        if (bytesRead === 0) break;
        for (let at = 0; at < bytesRead; ) at += (await target.write(buffer, at, bytesRead - at)).bytesWritten;
      }
      await target.sync();
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
