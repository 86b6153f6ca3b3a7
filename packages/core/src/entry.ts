import type { Checksums } from './checksums';

/** What a store knows about one member: a file or a collection. */
export interface Entry {
  /** Normalised member path (see `paths.ts`). */
  readonly path: string;
  /** True for a collection (a WebDAV collection, a folder). */
  readonly collection: boolean;
  /**
   * Strong entity tag, without quotes. It changes whenever the content (or,
   * for stores that choose to, the dead properties) changes, and stays the
   * same across restarts for unchanged members. Collections carry one too.
   */
  readonly etag: string;
  /** Content length in bytes, for non-collections. */
  readonly size?: number;
  /** Media type of the content, for non-collections, when known. */
  readonly contentType?: string;
  /**
   * Last modification time, when known: the store's own, or the one a client
   * set (`WriteOptions.modified`, `StorageAdapter.setModified`).
   */
  readonly modified?: Date;
  /** Creation time, when known. */
  readonly created?: Date;
  /** A human-readable name, when the store has one. */
  readonly displayName?: string;
  /**
   * The member's identity, when the store keeps one: opaque, the same across
   * MOVE and restarts, and new for a COPY and for a member re-created after a
   * delete. Sync clients compare it to see a rename as a rename (served as
   * `oc:fileid`; see docs/clients.md).
   */
  readonly fileId?: string;
  /**
   * Digests of a file's content (`checksums.ts`), when the store knows them
   * for the content it has now: absent when not computed yet (a file written
   * by another program), and never those of an earlier version. `stat`
   * includes them where the store has them; `list` when asked
   * (`ReadOptions.checksums`). Independent of `etag`.
   */
  readonly checksums?: Checksums;
}

/** An inclusive byte range of a member's content (RFC 9110 §14.1.2 semantics). */
export interface ByteRange {
  readonly start: number;
  /** Inclusive; omitted means "to the end". */
  readonly end?: number;
}

/** A request or response body as a stream of bytes; a Node Readable is one. */
export type ByteStream = AsyncIterable<Uint8Array>;
