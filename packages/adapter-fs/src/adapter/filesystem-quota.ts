/**
 * The fs store's quota figures (RFC 4331): those of the filesystem a
 * collection lives on, from one `statfs` — a system call whatever the tree
 * holds, so a PROPFIND naming the properties on 10 000 collections costs
 * 10 000 calls and no walk.
 *
 * - `available`: the bytes an unprivileged process may still write
 *   (`bavail × bsize`: the blocks reserved for root are not ours to
 *   offer), which is what davfs2's `df` and Windows' free space show.
 * - `used`: the filesystem's used bytes (`(blocks − bfree) × bsize`).
 *   RFC 4331 §4 lets the figure cover "possibly a number of other
 *   resources" beside the collection's own; the collection's own total
 *   would need a walk of its subtree on every request (or a total kept in
 *   step with changes made behind our back, which the watcher cannot make
 *   exact), so the filesystem's figure is the honest cheap one. It also
 *   makes available + used the filesystem's size less the reserved blocks,
 *   which is what a client drawing a usage bar expects.
 */
import { promises as fsp } from 'node:fs';
import type { QuotaFigures } from '@davsync/core';
import { errorCode, toDavError } from '../paths/fs-errors';
import type { SafePaths } from '../paths/safe-path';

/** The figures for the collection at `path`; `undefined` for a file or a missing path. */
export async function collectionQuota(guard: SafePaths, path: string): Promise<QuotaFigures | undefined> {
  const found = await guard.lookup(path);
  if (found.kind !== 'collection') return undefined;
  try {
    return await filesystemQuota(found.real);
  } catch (err) {
    // Gone since the lookup: no figures, as for any missing path.
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw toDavError(err, found.path);
  }
}

export async function filesystemQuota(real: string): Promise<QuotaFigures> {
  const s = await fsp.statfs(real);
  return { available: s.bavail * s.bsize, used: (s.blocks - s.bfree) * s.bsize };
}
