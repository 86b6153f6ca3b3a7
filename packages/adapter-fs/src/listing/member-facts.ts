/**
 * What a member's entry needs of its `lstat`: kind, ETag, size and dates.
 * A listing computes these where the `lstat` ran (this thread, or the
 * listing thread, which sends them over as plain numbers and strings), so
 * the entry is built the same way from either.
 */
import type { BigIntStats } from 'node:fs';
import { collectionEtag, fileEtag } from './etag';

const b36 = (n: bigint): string => n.toString(36);

export interface MemberFacts {
  readonly kind: 'file' | 'collection';
  readonly etag: string;
  /** Bytes (0 for a collection). */
  readonly size: number;
  /** Last modification, in ms since the epoch (rounded to the nearest). */
  readonly modifiedMs: number;
  /** Birth time in ms since the epoch, or -1 where the filesystem keeps none. */
  readonly createdMs: number;
  /**
   * The inode's identity, `i<ino>-<birthtimeNs>` in base 36 (`i<ino>` without
   * a birth time): what a member's file ID is derived from (`file-ids.ts`).
   * The birth time tells a reused inode number from the file that had it.
   */
  readonly identity: string;
}

/** See {@link MemberFacts.identity}. */
export function identityOf(stats: BigIntStats): string {
  return stats.birthtimeNs > 0n ? `i${b36(stats.ino)}-${b36(stats.birthtimeNs)}` : `i${b36(stats.ino)}`;
}

export function factsOf(kind: 'file' | 'collection', stats: BigIntStats): MemberFacts {
  return {
    kind,
    etag: kind === 'collection' ? collectionEtag(stats) : fileEtag(stats),
    size: kind === 'collection' ? 0 : Number(stats.size),
    // Rounded to the nearest ms: a client's time set in ms (utimes takes
    // seconds as a double) may land a few ns below it.
    modifiedMs: Number((stats.mtimeNs + 500_000n) / 1_000_000n),
    createdMs: stats.birthtimeNs > 0n ? Number(stats.birthtimeNs / 1_000_000n) : -1,
    identity: identityOf(stats),
  };
}
