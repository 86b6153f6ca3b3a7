/**
 * Where the filesystem adapter keeps dead properties: a table keyed by member
 * path, with subtree operations so properties travel with COPY and MOVE and
 * vanish with DELETE. Implemented over the state database (`SqlitePropertyTable`).
 */
import type { DeadPropertyStore } from '@davsync/core';

/** How a table write waits for the disk. */
export interface PatchOptions {
  /**
   * A write's own metadata (its checksums, content type), written just
   * before its journal entry, whose synced commit carries this one to disk:
   * no fsync of its own.
   */
  readonly unsynced?: boolean;
}

export interface PropertyTable extends DeadPropertyStore {
  /** `DeadPropertyStore.patch`, with how to wait for the disk. */
  patch(path: string, set: Readonly<Record<string, string>>, remove: readonly string[], options?: PatchOptions): Promise<void>;
  /** Copies the properties of `from` and everything below it to the same relative paths under `to` (replacing theirs). */
  copyTree(from: string, to: string): Promise<void>;
  /** Moves the properties of `from` and everything below it under `to` (replacing theirs). */
  moveTree(from: string, to: string): Promise<void>;
  /** Drops the properties of `path` and everything below it. */
  removeTree(path: string): Promise<void>;
  /**
   * The value of property `name` for each direct member of `collection`
   * that has one, keyed by member path: one query for a whole listing
   * instead of one per member. Optional; without it a listing asks `get`
   * for each member.
   */
  valuesIn?(collection: string, name: string): Promise<ReadonlyMap<string, string>>;
}
