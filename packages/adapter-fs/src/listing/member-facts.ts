/**
 * What a member's entry needs of its `lstat`: kind, ETag, size and dates.
 * A listing computes these where the `lstat` ran (this thread, or the
 * listing thread, which sends them over as plain numbers and strings), so
 * the entry is built the same way from either.
 */
import type { BigIntStats } from 'node:fs';
import { collectionEtag, fileEtag } from './etag';

export interface MemberFacts {
  readonly kind: 'file' | 'collection';
  readonly etag: string;
  /** Bytes (0 for a collection). */
  readonly size: number;
  /** Last modification, in ms since the epoch (rounded down). */
  readonly modifiedMs: number;
  /** Birth time in ms since the epoch, or -1 where the filesystem keeps none. */
  readonly createdMs: number;
}

export function factsOf(kind: 'file' | 'collection', stats: BigIntStats): MemberFacts {
  return {
    kind,
    etag: kind === 'collection' ? collectionEtag(stats) : fileEtag(stats),
    size: kind === 'collection' ? 0 : Number(stats.size),
    modifiedMs: Number(stats.mtimeNs / 1_000_000n),
    createdMs: stats.birthtimeNs > 0n ? Number(stats.birthtimeNs / 1_000_000n) : -1,
  };
}
