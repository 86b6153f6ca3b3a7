/**
 * `ds:block-hashes` (issue 20), in davsync's own namespace: a file's
 * fixed-size block list — the block size, the algorithm and the SHA-256 of
 * each block, in order — so a client holding an older copy can fetch
 * (Range) and send (PATCH) only the blocks that differ. The format is
 * specified in docs/transfer.md.
 *
 * ```xml
 * <ds:block-hashes xmlns:ds="https://davsync.dev/ns">
 *   <ds:block-size>4194304</ds:block-size>
 *   <ds:algorithm>sha256</ds:algorithm>
 *   <ds:hashes>9f86d0… 60303a…</ds:hashes>
 * </ds:block-hashes>
 * ```
 *
 * Like `oc:checksums`, whose bytes it is computed from in the same pass
 * (`core/block-hashes.ts`): protected, never in allprop, answered only when
 * named (a 1 GiB file's list is 16 KiB, not something a listing should carry
 * unasked), and 404 for a file whose list the store does not know yet.
 */
import { parseBlockList, type Entry } from '@davsync/core';
import { clark, type PropRequest, type PropValue } from '@davsync/protocol';

/** davsync's namespace for its own extensions. */
export const DAVSYNC_NS = 'https://davsync.dev/ns';

/** `ds:block-hashes`: the live property. */
export const BLOCK_HASHES = clark(DAVSYNC_NS, 'block-hashes');
const BLOCK_SIZE_NAME = clark(DAVSYNC_NS, 'block-size');
const ALGORITHM_NAME = clark(DAVSYNC_NS, 'algorithm');
const HASHES_NAME = clark(DAVSYNC_NS, 'hashes');

/** `ds:block-hashes` of a file whose block list is known; `undefined` otherwise (and for collections). */
export function blockHashesValue(entry: Entry): PropValue | undefined {
  const stored = entry.checksums?.blocks;
  if (entry.collection || stored === undefined) return undefined;
  const { blockSize, hashes } = parseBlockList(stored);
  return {
    children: [
      { name: BLOCK_SIZE_NAME, text: String(blockSize) },
      { name: ALGORITHM_NAME, text: 'sha256' },
      { name: HASHES_NAME, text: hashes.join(' ') },
    ],
  };
}

/** True when a PROPFIND names `ds:block-hashes` (or asks for property names), so a listing must bring the stored checksums along. */
export function wantsBlockHashes(request: PropRequest): boolean {
  if (request.kind === 'prop') return request.names.includes(BLOCK_HASHES);
  if (request.kind === 'propname') return true;
  return request.include.includes(BLOCK_HASHES);
}
