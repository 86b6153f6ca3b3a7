/**
 * File IDs on the filesystem (`Entry.fileId`, served as `oc:fileid`).
 *
 * A member's ID is derived from its inode: `MemberFacts.identity`, the inode
 * number and birth time. That costs nothing per member (the listing `lstat`s
 * anyway), survives restarts, follows a rename — davsync's MOVE and another
 * program's `mv` alike — and is new for a copy and for a re-created member,
 * since those are new inodes; the birth time keeps a reused inode number
 * from bringing an old ID back.
 *
 * One thing breaks that: davsync writes by renaming a new file into place,
 * a new inode, so an overwritten file would get a new ID. For those files
 * (only those) a {@link FileIdTable} row continues the old ID: it binds the
 * ID to the identity of the inode that now carries it, moves with MOVE and
 * goes with DELETE. A row whose identity is not the member's any more (the
 * file was replaced or moved by another program) is ignored, so a stale row
 * can never lend its ID to a different file.
 *
 * Limits (docs/clients.md): on a filesystem without birth times a reused
 * inode number brings back the ID of a deleted file; a MOVE across bind
 * mounts (a copy) and a file replaced by another program get new IDs.
 */
import { isWithin, rebase } from '@davsync/core';
import type { MemberFacts } from '../listing/member-facts';

/** A continued ID and the identity of the inode it now belongs to. */
export interface FileIdRow {
  readonly id: string;
  readonly boundTo: string;
}

/** Where continued IDs of overwritten files are kept (`SqliteFileIdTable` in a store). */
export interface FileIdTable {
  /** The row of `path`, if any. */
  get(path: string): Promise<FileIdRow | undefined>;
  /** The rows of the direct members of `collection`, by path: one query for a whole listing. */
  inFolder(collection: string): Promise<ReadonlyMap<string, FileIdRow>>;
  /**
   * Binds `id` at `path` to the inode identity `boundTo` (replacing the
   * path's row). `unsynced`: part of a write whose journal entry's commit
   * syncs it (see `PatchOptions`).
   */
  bind(path: string, id: string, boundTo: string, options?: { readonly unsynced?: boolean }): Promise<void>;
  /** Moves the rows of `from` and everything below it under `to` (replacing theirs). */
  moveTree(from: string, to: string): Promise<void>;
  /** Drops the rows of `path` and everything below it. */
  removeTree(path: string): Promise<void>;
}

/** The file ID of a member with these facts and this row (or none). */
export function fileIdOf(facts: MemberFacts, row: FileIdRow | undefined): string {
  return row !== undefined && row.boundTo === facts.identity ? row.id : facts.identity;
}

/** A table in memory: for adapters made without a store (tests), where IDs need not outlive the process. */
export class MemoryFileIdTable implements FileIdTable {
  readonly #rows = new Map<string, FileIdRow>();

  async get(path: string): Promise<FileIdRow | undefined> {
    return this.#rows.get(path);
  }

  async inFolder(collection: string): Promise<ReadonlyMap<string, FileIdRow>> {
    const out = new Map<string, FileIdRow>();
    const prefix = collection === '/' ? '/' : `${collection}/`;
    for (const [p, row] of this.#rows) if (p.startsWith(prefix) && !p.includes('/', prefix.length)) out.set(p, row);
    return out;
  }

  async bind(path: string, id: string, boundTo: string): Promise<void> {
    this.#rows.set(path, { id, boundTo });
  }

  async moveTree(from: string, to: string): Promise<void> {
    const taken = [...this.#rows].filter(([p]) => isWithin(p, from));
    await this.removeTree(to);
    for (const [p] of taken) this.#rows.delete(p);
    for (const [p, row] of taken) this.#rows.set(rebase(p, from, to), row);
  }

  async removeTree(path: string): Promise<void> {
    for (const p of [...this.#rows.keys()]) if (isWithin(p, path)) this.#rows.delete(p);
  }
}
