/**
 * Hashing one file the store did not write (queued by `checksum-backfill.ts`)
 * and storing the result only if it is the checksums of the file as it is:
 * the file's identity (inode, size, mtime in ns) is the same before the
 * read, after it, and under the commit lock when storing. A file changed
 * meanwhile is left for the next round, never given another version's
 * checksums.
 */
import { promises as fsp } from 'node:fs';
import { checksumsOf, type ChecksumAlgorithm, type Checksums } from '@davsync/core';
import { fileEtag } from '../listing/etag';
import { SAFE_READ_FLAGS, type SafePaths } from '../paths/safe-path';
import type { PropertyTable } from '../properties/property-table';
import type { CommitLock } from '../writes/commit-lock';
import { CHECKSUMS_PROPERTY, checksumsFor, encodeChecksums } from './stored-checksums';

/** What the hashing needs of the adapter. */
export interface OutOfBandContext {
  readonly guard: SafePaths;
  readonly table: PropertyTable;
  readonly lock: CommitLock;
  readonly algorithms: readonly ChecksumAlgorithm[];
}

/** Hashes the file at `path` unless it has valid checksums already; see the module comment. */
export async function hashOutOfBand({ guard, table, lock, algorithms }: OutOfBandContext, path: string): Promise<void> {
  const found = await guard.lookup(path);
  if (found.kind !== 'file') return;
  const identity = fileEtag(found.stats);
  if (checksumsFor((await table.get(found.path))[CHECKSUMS_PROPERTY], identity) !== undefined) return;
  let checksums: Checksums;
  const handle = await fsp.open(found.real, SAFE_READ_FLAGS);
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile() || fileEtag(before) !== identity) return;
    checksums = await checksumsOf(handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 }), algorithms);
    if (fileEtag(await handle.stat({ bigint: true })) !== identity) return;
  } finally {
    await handle.close();
  }
  await lock.run(async () => {
    const now = await guard.lookup(found.path);
    if (now.kind === 'file' && fileEtag(now.stats) === identity) {
      await table.patch(found.path, { [CHECKSUMS_PROPERTY]: encodeChecksums(identity, checksums) }, []);
    }
  });
}
