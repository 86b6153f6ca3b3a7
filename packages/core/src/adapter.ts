/**
 * The storage-adapter contract: what a store must offer so davsync can serve
 * and sync it. Paths are member paths (`paths.ts`); absence is `undefined`,
 * never an exception; conditions a client must see are thrown as `DavError`.
 * Adapters know nothing of sync: the engine records every mutation made
 * through it in the change journal (unless the adapter does, see
 * `recordsChangesIn`).
 */
import type { Checksums } from './checksums';
import type { ByteRange, ByteStream, Entry } from './entry';
import type { JournalStore } from './journal';
import type { QuotaFigures } from './quota';
import type { UploadStore } from './uploads/upload-store';

export interface WriteOptions {
  /** Media type to store with the content. */
  readonly contentType?: string;
  /**
   * Compare-and-set: write only if the member's current ETag is this value
   * (`null`: only if the member does not exist). Otherwise throw
   * `precondition-failed`. Adapters that cannot do this atomically may check
   * then write; the middleware evaluates If-Match itself as well.
   */
  readonly expectedEtag?: string | null;
  /**
   * The modification time the client gives the content (ownCloud's
   * `X-OC-Mtime`), instead of the time of the write. An adapter that has
   * `setModified` honours it, and the time is in place when the content
   * becomes visible; one without ignores it.
   */
  readonly modified?: Date;
  /**
   * The content's checksums, to store with the member (`Entry.checksums`).
   * The adapter calls (and awaits) it once the body has been read to its end
   * and before the write becomes visible; when it rejects (an announced checksum that
   * does not match: `bad-request`), the write fails and stores nothing —
   * the previous content, ETag and checksums stay. Absent: the write stores
   * no checksums (and the member has none until someone computes them).
   * The engine supplies it (`checksummedWrite`), hashing the body as the
   * adapter reads it.
   */
  readonly checksums?: () => Promise<Checksums>;
}

/** Options of a read or a listing. */
export interface ReadOptions {
  /**
   * Aborted when the caller no longer wants the result (the client went
   * away). An adapter should then stop its work: a listing throws the
   * signal's reason at its next batch, a body stream is destroyed with it
   * (`abortableBody` does that for any body). Callers check the signal
   * between batches as well, so an adapter that ignores it is still
   * correct, only slower to stop.
   */
  readonly signal?: AbortSignal;
  /**
   * For `list`: the caller wants each file's `Entry.checksums`. Where they
   * cost a lookup, an adapter adds them only when asked, in one batched
   * lookup per listing, never one per member. An adapter may include them
   * always.
   */
  readonly checksums?: boolean;
}

export interface CopyOptions {
  /** Replace an existing destination (deleting it first). Default true. */
  readonly overwrite?: boolean;
  /** `0` copies a collection without its members. Default `'infinity'`. */
  readonly depth?: 0 | 'infinity';
}

export interface MoveOptions {
  /** Replace an existing destination (deleting it first). Default true. */
  readonly overwrite?: boolean;
}

export interface TransferResult {
  /** True when the destination did not exist before. */
  readonly created: boolean;
}

/**
 * Dead properties: client-defined properties stored with a member. Names are
 * Clark notation (`{namespace}local`, or a bare `local` in no namespace); values are opaque strings (the
 * middleware stores the serialised XML content). Dead properties follow
 * their member on COPY and MOVE and vanish with it on delete.
 */
export interface DeadPropertyStore {
  /** All dead properties of an existing member (empty object when none). */
  get(path: string): Promise<Record<string, string>>;
  /**
   * Sets and removes properties atomically: either every change applies or
   * none does. Removing an absent property is not an error. Throws
   * `not-found` when the member does not exist.
   */
  patch(path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void>;
}

export interface StorageAdapter {
  /** The member at `path`, or `undefined`. */
  stat(path: string): Promise<Entry | undefined>;

  /**
   * The direct members of a collection, in any order. Throws `not-found` if
   * `path` does not exist and `conflict` if it is not a collection.
   */
  list(path: string, options?: ReadOptions): AsyncIterable<Entry>;

  /**
   * Optional: {@link list} a batch at a time — the same members and errors
   * — for an adapter that reads members in batches anyway. A listing of
   * thousands of members then costs one await per batch instead of one per
   * member. Callers use `listInBatches`, which falls back to `list`.
   */
  listBatches?(path: string, options?: ReadOptions): AsyncIterable<readonly Entry[]>;

  /**
   * The content of a non-collection, or the given byte range of it (the caller
   * has checked the range against `size`). Throws `not-found` if absent and
   * `conflict` for a collection.
   */
  read(path: string, range?: ByteRange, options?: ReadOptions): Promise<ByteStream>;

  /**
   * Creates or replaces a non-collection with the streamed body and returns
   * its new entry. Must not buffer the whole body. Readers never see a
   * partial write, and a failed write leaves the previous content in place.
   * Throws `conflict` when the parent is missing or not a collection,
   * `method-not-allowed` when `path` is a collection, and
   * `precondition-failed` when `expectedEtag` does not match.
   */
  write(path: string, body: ByteStream, options?: WriteOptions): Promise<Entry>;

  /**
   * Removes a member; a collection is removed with everything below it.
   * Throws `not-found` if absent and `forbidden` for the root.
   */
  remove(path: string): Promise<void>;

  /**
   * Creates an empty collection. Throws `method-not-allowed` if `path`
   * exists and `conflict` when the parent is missing or not a collection.
   */
  mkcol(path: string): Promise<Entry>;

  /**
   * Copies a member (a collection with its members, unless depth is 0), its
   * dead properties and its files' checksums (a MOVE keeps them too). Throws `not-found` for a missing source, `conflict`
   * for a missing destination parent, `precondition-failed` when the
   * destination exists and overwrite is false, and `forbidden` when the
   * destination is the source or lies inside it.
   */
  copy(from: string, to: string, options?: CopyOptions): Promise<TransferResult>;

  /** Moves a member (with its members and dead properties); errors as for `copy`. */
  move(from: string, to: string, options?: MoveOptions): Promise<TransferResult>;

  /**
   * Optional: sets a member's modification time, changing nothing else, and
   * returns its entry. A file's ETag changes with it (clients that cache
   * `getlastmodified` under the ETag must see the change). Throws
   * `not-found` if absent. Stores that have it also honour
   * `WriteOptions.modified`.
   */
  setModified?(path: string, modified: Date): Promise<Entry>;

  /** Dead properties, when the store can keep them. */
  readonly properties?: DeadPropertyStore;

  /**
   * Optional: the storage figures of the collection at `path` (RFC 4331),
   * answered as `DAV:quota-available-bytes` and `DAV:quota-used-bytes`
   * when a PROPFIND names them (never for allprop). Asked once per
   * collection listed, so it must be cheap — a running total or a
   * filesystem's figures, never a walk of the subtree. Returns `undefined`
   * (both properties 404) for a path it has no figures for. A store that
   * enforces a quota refuses a write past it with `quotaExceeded` (507).
   */
  quota?(path: string): Promise<QuotaFigures | undefined>;

  /**
   * Set by a *self-journaling* adapter: one that commits each mutation and
   * its journal entries in one transaction (a database shared by several
   * servers), in this journal. Each of its mutations (`write`, `mkcol`,
   * `remove`, `copy`, `move`, `setModified`, `properties.patch`) records before it resolves
   * exactly the entries `journalChangesOf` (`journal-changes.ts`) derives
   * for it (`setModified`: a `changed` mutation) — call that function inside the transaction, with a journal
   * reader on the same transaction — and a failed mutation records nothing.
   *
   * The store still supplies the journal the one way every store does, as
   * the engine's `journal` option, which must then be this journal; the
   * engine commits nothing for these mutations itself (it still uses the
   * journal for `refresh`, `record`, deltas and retention).
   */
  readonly recordsChangesIn?: JournalStore;

  /**
   * Optional: where resumable uploads wait for their last byte, in the
   * store's own temporary space (`uploads/upload-store.ts`). The middleware
   * offers resumable uploads only on a store that has one.
   */
  readonly uploads?: UploadStore;
}
