/**
 * Listing a collection: its directory read in batches (on the listing
 * thread when there is one), each member's entry completed from the
 * property table and file IDs read once for the whole folder.
 */
import { ROOT, childPath, conflict, notFound, type Entry, type ReadOptions } from '@davsync/core';
import { CHECKSUMS_PROPERTY } from '../checksums/stored-checksums';
import { readMemberBatches } from '../listing/directory';
import { CONTENT_TYPE_PROPERTY } from '../properties/dead-properties';
import { fileIdOf } from '../properties/file-ids';
import { toDavError } from '../paths/fs-errors';
import type { FsAdapterParts } from './adapter-parts';
import { NO_STORED, entryOf } from './entries';

export async function* listMemberBatches(parts: FsAdapterParts, path: string, options: ReadOptions = {}): AsyncIterable<readonly Entry[]> {
  const { guard } = await parts.ctx();
  const found = await guard.lookup(path);
  if (found.kind === 'absent') throw notFound(found.path);
  if (found.kind === 'file') throw conflict(found.path, 'not a collection');
  const p = found.path;
  // The media types stored for this folder's files, in one query (most have none);
  // the checksums likewise, only when asked for.
  const types = await parts.table.valuesIn?.(p, CONTENT_TYPE_PROPERTY);
  // The folder's continued file IDs, in one query too (only overwritten files have one).
  const ids = await parts.fileIds.inFolder(p);
  const sums = options.checksums === true ? await parts.table.valuesIn?.(p, CHECKSUMS_PROPERTY) : NO_STORED;
  try {
    // Streamed: a collection of any size is listed in constant memory.
    for await (const batch of readMemberBatches(found.real, guard, p === ROOT, parts.listing)) {
      // Leaving the loop ends the directory read (and the listing thread's part of it).
      options.signal?.throwIfAborted();
      const entries: Entry[] = [];
      for (const member of batch) {
        const path = childPath(p, member.name);
        const entry =
          types === undefined || sums === undefined
            ? await parts.entry(path, member.facts)
            : entryOf(path, member.facts, types, fileIdOf(member.facts, ids.get(path)), sums);
        if (options.checksums === true && !entry.collection && entry.checksums === undefined) parts.backfill?.add(path);
        entries.push(entry);
      }
      yield entries;
    }
  } catch (err) {
    // The directory may have gone, or been replaced by a file, since the lookup.
    throw toDavError(err, p, { ENOENT: () => notFound(p), ENOTDIR: () => conflict(p, 'not a collection') });
  }
}
