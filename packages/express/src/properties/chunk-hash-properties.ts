/**
 * `ds:chunk-hashes`: a file's FastCDC chunk list (docs/transfer.md), so a
 * client whose old copy no longer lines up with the fixed blocks (bytes
 * were inserted or removed) can still fetch only the chunks it lacks.
 *
 * ```xml
 * <ds:chunk-hashes xmlns:ds="https://davsync.dev/ns">
 *   <ds:chunker>fastcdc-gear32-nc2</ds:chunker>
 *   <ds:min-size>1048576</ds:min-size>
 *   <ds:avg-size>4194304</ds:avg-size>
 *   <ds:max-size>16777216</ds:max-size>
 *   <ds:algorithm>sha256</ds:algorithm>
 *   <ds:chunks>0:3518232:9f86d0… 3518232:5121090:60303a…</ds:chunks>
 * </ds:chunk-hashes>
 * ```
 *
 * Each chunk is `offset:length:sha256`. Protected, never in allprop;
 * computed on demand (`chunk-list-cache.ts`) only for the PROPFIND's own
 * target — a listing's members get it only when already cached, so one
 * Depth: infinity PROPFIND cannot make the server read every file — and
 * 404 for collections.
 */
import type { Entry } from '@davsync/core';
import { clark, FASTCDC_CHUNKER, type PropValue } from '@davsync/protocol';
import { DAVSYNC_NS } from './block-hash-properties';
import type { ChunkList } from './chunk-list-cache';

/** `ds:chunk-hashes`: the live property. */
export const CHUNK_HASHES = clark(DAVSYNC_NS, 'chunk-hashes');

const ds = (local: string): string => clark(DAVSYNC_NS, local);

/** The property's value for a list. */
export function chunkHashesValue(list: ChunkList): PropValue {
  return {
    children: [
      { name: ds('chunker'), text: FASTCDC_CHUNKER },
      { name: ds('min-size'), text: String(list.params.min) },
      { name: ds('avg-size'), text: String(list.params.avg) },
      { name: ds('max-size'), text: String(list.params.max) },
      { name: ds('algorithm'), text: 'sha256' },
      { name: ds('chunks'), text: list.chunks.map((c) => `${c.offset}:${c.length}:${c.hash}`).join(' ') },
    ],
  };
}

/** Where a request finds chunk lists: computed for its target, from the cache for anything else. */
export interface ChunkListSource {
  chunkList(entry: Entry): Promise<ChunkList | undefined>;
}
