/**
 * A tus `DataStore` (@tus/server 1.x) over davsync's own `UploadStore`, so
 * a tus upload's bytes wait where the IETF protocol's do — the store's
 * upload space (fsynced files on the fs store, committed chunks on
 * PostgreSQL) — survive a restart and expire after the same idle time.
 *
 * The store keeps what tus needs in the upload's record: the member path
 * (`target`), the owner, the length, and in `meta` the media type (as the
 * completing PUT's `content-type`) and the client's tus metadata (echoed
 * in `Upload-Metadata`). Completion is not the store's business: the
 * endpoint's `onUploadFinish` hands the upload to the ordinary PUT.
 */
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Readable } from 'node:stream';
import { DavError, expireUploads, type UploadStore } from '@davsync/core';

/** The record's `meta` keys for tus: its metadata (JSON), and its creation time. */
export const TUS_METADATA = 'x-tus-metadata';
const TUS_CREATED = 'x-tus-created';

/** Metadata keys davsync sets on creation (after dropping any a client sent): where the upload goes and whose it is. */
export const TARGET_KEY = 'davsync-target';
export const OWNER_KEY = 'davsync-owner';

export class UploadStoreTusStore extends DataStore {
  readonly #store: UploadStore;
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(store: UploadStore, idleMs: number, now: () => number) {
    super();
    this.#store = store;
    this.#idleMs = idleMs;
    this.#now = now;
    // No `creation-defer-length`: the length is known up front, so completion is known.
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const { [TARGET_KEY]: target, [OWNER_KEY]: owner, ...metadata } = upload.metadata ?? {};
    if (typeof target !== 'string') throw ERRORS.INVALID_METADATA;
    const created = new Date(this.#now()).toISOString();
    const meta: Record<string, string> = { [TUS_METADATA]: JSON.stringify(metadata), [TUS_CREATED]: created };
    if (typeof metadata['filetype'] === 'string' && metadata['filetype'].length <= 255) meta['content-type'] = metadata['filetype'];
    await this.#store.create(
      { id: upload.id, target, ...(typeof owner === 'string' ? { owner } : {}), ...(upload.size === undefined ? {} : { length: upload.size }), meta },
      this.#now(),
    );
    return new Upload({ ...upload, metadata, creation_date: created });
  }

  override async getUpload(id: string): Promise<Upload> {
    const record = await this.#store.get(id);
    if (record === undefined || record.updated + this.#idleMs <= this.#now()) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      offset: record.offset,
      ...(record.length === undefined ? {} : { size: record.length }),
      metadata: parseMetadata(record.meta?.[TUS_METADATA]),
      ...(record.meta?.[TUS_CREATED] === undefined ? {} : { creation_date: record.meta[TUS_CREATED] }),
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const record = await this.#store.get(id);
    if (record === undefined) throw ERRORS.FILE_NOT_FOUND;
    try {
      const appended = await this.#store.append(id, offset, stream, {
        now: this.#now(),
        ...(record.length === undefined ? {} : { length: record.length, maxBytes: record.length }),
      });
      return appended.offset;
    } catch (err) {
      throw tusError(err);
    }
  }

  override async remove(id: string): Promise<void> {
    try {
      if (!(await this.#store.remove(id))) throw ERRORS.FILE_NOT_FOUND;
    } catch (err) {
      throw tusError(err);
    }
  }

  override async deleteExpired(): Promise<number> {
    return (await expireUploads(this.#store, this.#now() - this.#idleMs)).length;
  }

  override getExpiration(): number {
    return this.#idleMs;
  }
}

/** The tus answer to a store refusal: the same status davsync would give, with its reason. */
export function tusError(err: unknown): unknown {
  if (!(err instanceof DavError)) return err;
  const status: Partial<Record<string, number>> = { 'not-found': 404, busy: 423, conflict: 409, 'payload-too-large': 413, 'bad-request': 400, 'insufficient-storage': 507 };
  const code = status[err.code];
  return code === undefined ? err : { status_code: code, body: `${err.message}\n` };
}

function parseMetadata(text: string | undefined): Record<string, string | null> {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string | null>) : {};
  } catch {
    return {};
  }
}
