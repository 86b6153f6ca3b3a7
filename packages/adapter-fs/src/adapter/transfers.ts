/**
 * COPY and MOVE within the tree. A copy is built in the state directory
 * (outside the commit lock: it may be long) and renamed into place under
 * the lock, after the destination checks are run again; a move is one
 * rename under the lock, or a copy and delete across a bind mount. The
 * property table and file IDs follow the members.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { notFound, type CopyOptions, type MoveOptions, type TransferResult } from '@davsync/core';
import { fsyncDirectory } from '../writes/atomic-write';
import { copyMember, type CopiedFile } from '../writes/tree-copy';
import { storeCopiedChecksums } from '../checksums/stored-checksums';
import { errorCode, mapFsErrors, toDavError } from '../paths/fs-errors';
import type { FsAdapterParts } from './adapter-parts';
import { PLACE_ERRORS, moveByCopy, place, transferEnds } from './placement';

export async function copyInStore(parts: FsAdapterParts, from: string, to: string, options: CopyOptions = {}): Promise<TransferResult> {
  const { guard, state } = await parts.ctx();
  const overwrite = options.overwrite ?? true;
  const deep = (options.depth ?? 'infinity') === 'infinity';
  // Checked before the (possibly long) copy, and again under the lock before publishing it.
  const { source } = await transferEnds(guard, from, to, overwrite);
  const staged = state.tempPath('copy');
  const copied: CopiedFile[] = [];
  try {
    await mapFsErrors(source.path, () => copyMember(source, staged, deep, guard, (file) => copied.push(file), '', parts.algorithms), { ENOENT: () => notFound(source.path) });
    const done = await parts.lock.run(async () => {
      const { target } = await transferEnds(guard, from, to, overwrite);
      const trashed = await mapFsErrors(target.path, () => place(staged, source.kind, target, state), PLACE_ERRORS(target.path));
      await parts.table.removeTree(target.path);
      // The copies are new inodes with IDs of their own; the replaced members' rows go.
      await parts.fileIds.removeTree(target.path);
      if (source.kind === 'collection' && !deep) {
        // Depth 0: the collection's own properties, none of its members'.
        const own = await parts.table.get(source.path);
        if (Object.keys(own).length > 0) await parts.table.patch(target.path, own, []);
      } else {
        await parts.table.copyTree(source.path, target.path);
      }
      await storeCopiedChecksums(parts.table, target.path, copied);
      return { created: target.kind === 'absent', trashed, parent: dirname(target.real) };
    });
    await fsyncDirectory(done.parent);
    if (done.trashed !== undefined) await state.purge(done.trashed);
    return { created: done.created };
  } finally {
    // Nothing is left once the copy was published; after a failure, the partial copy goes.
    await fsp.rm(staged, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function moveInStore(parts: FsAdapterParts, from: string, to: string, options: MoveOptions = {}): Promise<TransferResult> {
  const { guard, state } = await parts.ctx();
  const overwrite = options.overwrite ?? true;
  const done = await parts.lock.run(async () => {
    const { source, target } = await transferEnds(guard, from, to, overwrite);
    let trashed: string | undefined;
    try {
      trashed = await place(source.real, source.kind, target, state);
    } catch (err) {
      if (errorCode(err) !== 'EXDEV') throw toDavError(err, target.path, PLACE_ERRORS(target.path));
      // The source lies on another mount of the root's filesystem (a bind
      // mount), which rename cannot cross: copy, then delete the source.
      trashed = await mapFsErrors(target.path, () => moveByCopy(source, target, guard, state), PLACE_ERRORS(target.path));
    }
    await parts.table.removeTree(target.path);
    await parts.table.moveTree(source.path, target.path);
    await parts.fileIds.moveTree(source.path, target.path);
    return { created: target.kind === 'absent', trashed, parents: new Set([dirname(source.real), dirname(target.real)]) };
  });
  for (const dir of done.parents) await fsyncDirectory(dir);
  if (done.trashed !== undefined) await state.purge(done.trashed);
  return { created: done.created };
}
