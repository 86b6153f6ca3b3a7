/**
 * The upload-store contract: where the bytes of a resumable upload wait
 * until the client has sent them all. An upload is append-only: bytes are
 * added at its current offset by one appender at a time, and a store keeps
 * whatever part of an interrupted append it received (that is the point:
 * the client resumes from there). Once complete, `read` streams the whole
 * upload to the ordinary `engine.write`, so locks, preconditions, quota,
 * checksums and journaling apply as for a PUT, and the member appears
 * atomically, journaled once.
 *
 * The store knows nothing of HTTP: `target` and `meta` are opaque strings
 * that the middleware keeps with the upload (the member's request target
 * and the creating request's headers).
 */
import type { ByteStream } from '../entry';

export interface NewUpload {
  /** Unguessable id (the middleware makes 128 random bits). */
  readonly id: string;
  /** What the upload becomes: opaque to the store. */
  readonly target: string;
  /** Who created it; only they may touch it (checked by the caller). */
  readonly owner?: string;
  /** The total length, when the client announced it. */
  readonly length?: number;
  /** Whatever else the caller needs at completion (headers of the creating request). */
  readonly meta?: Readonly<Record<string, string>>;
}

export interface UploadRecord extends NewUpload {
  /** Bytes received and kept so far: durable when the store says so. */
  readonly offset: number;
  /** Last creation or append (ms since the epoch), for expiry. */
  readonly updated: number;
}

export interface AppendOptions {
  /** Refuse (`payload-too-large`) a body that would take the upload past this many bytes. */
  readonly maxBytes?: number;
  /** Now, in ms since the epoch (default `Date.now()`): the upload's new `updated`. */
  readonly now?: number;
  /** Record the announced total length (must not change once set: `conflict`). */
  readonly length?: number;
}

export interface UploadStore {
  /** Creates an empty upload; `updated` is `now` (default `Date.now()`). */
  create(upload: NewUpload, now?: number): Promise<UploadRecord>;
  /** The upload, or `undefined`. */
  get(id: string): Promise<UploadRecord | undefined>;
  /**
   * Appends `body` at `offset`. Throws `DavError('conflict')` when `offset`
   * is not the upload's offset, and `DavError('busy')` while another append
   * to it runs (one appender at a time, also across instances sharing a
   * store). When the body fails part-way (the client went away), the bytes
   * received so far are kept and made durable, then the body's error is
   * rethrown. Resolves with the new record once the bytes are durable.
   */
  append(id: string, offset: number, body: ByteStream, options?: AppendOptions): Promise<UploadRecord>;
  /** The whole upload as a stream, chunk by chunk (never held whole). Throws `not-found`. */
  read(id: string): Promise<ByteStream>;
  /** Removes the upload and its bytes; false when it did not exist. Throws `busy` while an append runs. */
  remove(id: string): Promise<boolean>;
  /** Every upload (of `owner`, when given). A store holds few: the middleware bounds them per user. */
  list(owner?: string): Promise<UploadRecord[]>;
}

/** Removes the uploads idle since before `before` (ms since the epoch) that no append is using; returns their ids. */
export async function expireUploads(store: UploadStore, before: number): Promise<string[]> {
  const gone: string[] = [];
  for (const upload of await store.list()) {
    if (upload.updated >= before) continue;
    try {
      if (await store.remove(upload.id)) gone.push(upload.id);
    } catch {
      // Busy: an append is running, so it is not idle after all.
    }
  }
  return gone;
}
