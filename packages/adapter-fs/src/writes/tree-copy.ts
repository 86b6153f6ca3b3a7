/**
 * Copying a member — a file, or a directory with what `list` shows of it —
 * to a new path, durably. Used to stage COPY (and MOVE across mounts) in the
 * state directory before one rename publishes the result.
 */
import { createHash } from 'node:crypto';
import { promises as fsp, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { BlockHasher, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type Checksums } from '@davsync/core';
import { fsyncDirectory } from './atomic-write';
import { readMembers } from '../listing/directory';
import { SAFE_READ_FLAGS, type SafePaths } from '../paths/safe-path';

const PIECE = 256 * 1024;

/** A file a copy wrote: where it sits relative to the copy's top ('' for a file copy), its checksums and metadata. */
export interface CopiedFile {
  readonly relative: string;
  readonly checksums: Checksums;
  /** Of the new file; a rename keeps the inode, size and mtime, so its identity too. */
  readonly stats: BigIntStats;
}

/**
 * Copies `source` (which the guard has looked up) to `target`, which must not
 * exist. A directory is copied with its visible members when `deep`, empty
 * otherwise. Everything written is fsynced. Each file's checksums are
 * computed from the bytes as they are copied (no second read) and reported
 * to `onFile`, so the copy's checksums describe exactly what it holds.
 */
export async function copyMember(
  source: { readonly real: string; readonly kind: 'file' | 'collection' },
  target: string,
  deep: boolean,
  guard: SafePaths,
  onFile: (file: CopiedFile) => void = () => undefined,
  relative = '',
  algorithms: readonly ChecksumAlgorithm[] = CHECKSUM_ALGORITHMS,
): Promise<void> {
  if (source.kind === 'file') {
    onFile({ relative, ...(await copyFileContent(source.real, target, algorithms)) });
    return;
  }
  await fsp.mkdir(target);
  if (deep) {
    for await (const member of readMembers(source.real, guard, false)) {
      await copyMember(member, join(target, member.name), true, guard, onFile, `${relative}/${member.name}`, algorithms);
    }
  }
  await fsyncDirectory(target);
}

/**
 * Copies a regular file's bytes to a new file and fsyncs it. The source is
 * opened without following a symlink (one swapped in since the lookup) and
 * checked to be a regular file on the opened descriptor. Memory stays at one
 * piece whatever the size. Returns the checksums of the bytes copied and the
 * new file's metadata.
 */
export async function copyFileContent(from: string, to: string, algorithms: readonly ChecksumAlgorithm[] = CHECKSUM_ALGORITHMS): Promise<{ checksums: Checksums; stats: BigIntStats }> {
  const source = await fsp.open(from, SAFE_READ_FLAGS);
  try {
    if (!(await source.stat()).isFile()) throw Object.assign(new Error('davsync: not a regular file'), { code: 'ELOOP' });
    const target = await fsp.open(to, 'wx');
    try {
      const buffer = Buffer.allocUnsafe(PIECE);
      const hashes = algorithms.map((a) => [a, createHash(a)] as const);
      // The block list (issue 20) comes with the checksums, as on a write: with SHA-256.
      const blocks = algorithms.includes('sha256') ? new BlockHasher() : undefined;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, PIECE, null);
        if (bytesRead === 0) break;
        for (const [, hash] of hashes) hash.update(buffer.subarray(0, bytesRead));
        blocks?.update(buffer.subarray(0, bytesRead));
        for (let at = 0; at < bytesRead; ) at += (await target.write(buffer, at, bytesRead - at)).bytesWritten;
      }
      await target.sync();
      const checksums: Checksums = {
        ...Object.fromEntries(hashes.map(([a, hash]) => [a, hash.digest('hex')])),
        ...(blocks === undefined ? {} : { blocks: blocks.digest('hex') }),
      };
      return { checksums, stats: await target.stat({ bigint: true }) };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
