/**
 * What the modules doing an `FsAdapter`'s work (listing, transfers) share
 * with it: its context, commit lock and tables. Internal to the adapter.
 */
import type { ChecksumAlgorithm, Entry } from '@davsync/core';
import type { ChecksumBackfill } from '../checksums/checksum-backfill';
import type { ListingThread } from '../listing/listing-thread';
import type { MemberFacts } from '../listing/member-facts';
import type { FileIdTable } from '../properties/file-ids';
import type { PropertyTable } from '../properties/property-table';
import type { CommitLock } from '../writes/commit-lock';
import type { Context } from './context';

export interface FsAdapterParts {
  /** The opened root and state directory (opened on first use). */
  readonly ctx: () => Promise<Context>;
  /** Orders every mutation's check-then-act step. */
  readonly lock: CommitLock;
  readonly table: PropertyTable;
  readonly fileIds: FileIdTable;
  readonly listing: ListingThread | undefined;
  /** Files waiting to be hashed; absent when background hashing is off. */
  readonly backfill: ChecksumBackfill | undefined;
  readonly algorithms: readonly ChecksumAlgorithm[];
  /** A member's entry from its facts and what the tables hold of it. */
  readonly entry: (path: string, facts: MemberFacts) => Promise<Entry>;
}
