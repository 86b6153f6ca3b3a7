/**
 * Where the filesystem adapter keeps dead properties: a table keyed by member
 * path, with subtree operations so properties travel with COPY and MOVE and
 * vanish with DELETE. Implemented over the state database (`SqlitePropertyTable`).
 */
import type { DeadPropertyStore } from '@davsync/core';

export interface PropertyTable extends DeadPropertyStore {
  /** Copies the properties of `from` and everything below it to the same relative paths under `to` (replacing theirs). */
  copyTree(from: string, to: string): Promise<void>;
  /** Moves the properties of `from` and everything below it under `to` (replacing theirs). */
  moveTree(from: string, to: string): Promise<void>;
  /** Drops the properties of `path` and everything below it. */
  removeTree(path: string): Promise<void>;
}
