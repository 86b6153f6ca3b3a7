/**
 * Where a mutation may put a member, and putting it there: the checks of a
 * PUT's or a COPY/MOVE's destination (in the order of the adapter contract),
 * the renames that publish a member, and the `conflict`s a vanished parent
 * turns into. `FsAdapter` runs the checks once before slow work (streaming a
 * body, copying a tree) and again under its commit lock before the rename.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import {
  DavError,
  ROOT,
  checkOverwrite,
  checkTransferPaths,
  conflict,
  methodNotAllowed,
  normalizePath,
  notFound,
  preconditionFailed,
} from '@davsync/core';
import { fsyncDirectory } from '../writes/atomic-write';
import { copyMember } from '../writes/tree-copy';
import type { StateDir } from '../writes/state-dir';
import { fileEtag } from '../listing/etag';
import type { ErrorOverrides } from '../paths/fs-errors';
import type { Absent, Found, Lookup, SafePaths } from '../paths/safe-path';

/** Where a write can go: the lookup of a file or of a free slot in a collection. */
export function writable(found: Lookup, expectedEtag: string | null | undefined): Found | Absent {
  const p = found.path;
  if (found.kind === 'collection') throw methodNotAllowed(p, p === ROOT ? 'the root is a collection' : 'cannot write content to a collection');
  if (found.kind === 'absent' && found.parent !== 'collection') throw missingParent(found);
  if (expectedEtag !== undefined) {
    const current = found.kind === 'file' ? fileEtag(found.stats) : null;
    if (current !== expectedEtag) throw preconditionFailed(expectedEtag === null ? 'the member exists' : 'the ETag does not match', p);
  }
  return found;
}

/** Checks a COPY or MOVE in the order of the contract (as the memory adapter does) and looks up both ends. */
export async function transferEnds(guard: SafePaths, from: string, to: string, overwrite: boolean): Promise<{ source: Found; target: Lookup }> {
  const src = normalizePath(from);
  const dst = normalizePath(to);
  const source = await guard.lookup(src);
  if (source.kind === 'absent') throw notFound(src);
  checkTransferPaths(src, dst);
  const target = await guard.lookup(dst);
  if (target.kind === 'absent' && target.parent !== 'collection') throw missingParent(target);
  checkOverwrite(dst, target.kind !== 'absent', overwrite);
  return { source, target };
}

/**
 * Renames `from` (a staged copy, or a MOVE's source) to the target. A file
 * replaces a file in one atomic rename; otherwise the old target is
 * displaced to the trash first (and comes back if the rename fails, or if a
 * crash comes before it: see `StateDir.displace`). Returns what was trashed.
 */
export async function place(from: string, kind: 'file' | 'collection', target: Lookup, state: StateDir): Promise<string | undefined> {
  if (target.kind === 'absent' || (target.kind === 'file' && kind === 'file')) {
    await fsp.rename(from, target.real);
    await fsyncDirectory(dirname(target.real));
    return undefined;
  }
  const { trashed, settle } = await state.displace(target.real);
  try {
    await fsp.rename(from, target.real);
  } catch (err) {
    await fsp.rename(trashed, target.real).catch(() => undefined);
    await settle();
    throw err;
  }
  await fsyncDirectory(dirname(target.real));
  await settle();
  return trashed;
}

/** A missing or non-collection parent found on the way since the lookup: `conflict`. */
export const PLACE_ERRORS = (path: string): ErrorOverrides => ({
  ENOENT: () => conflict(path, 'the parent collection does not exist'),
  ENOTDIR: () => conflict(path, 'the parent is not a collection'),
});

export function missingParent(found: Absent): DavError {
  return conflict(found.path, found.parent === 'not-collection' ? 'the parent is not a collection' : 'the parent collection does not exist');
}

/** MOVE's fallback when rename cannot cross mounts: stage a copy, publish it, delete the source. */
export async function moveByCopy(source: Found, target: Lookup, guard: SafePaths, state: StateDir): Promise<string | undefined> {
  const staged = state.tempPath('move');
  try {
    await copyMember(source, staged, true, guard);
    const trashed = await place(staged, source.kind, target, state);
    await fsp.rm(source.real, { recursive: true, force: true });
    return trashed;
  } finally {
    await fsp.rm(staged, { recursive: true, force: true }).catch(() => undefined);
  }
}
