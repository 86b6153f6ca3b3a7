/**
 * Uploads kept in memory, as chunks: for the memory store, which holds
 * everything in memory anyway. Reading streams the chunks; the upload is
 * never copied whole.
 */
import { DavError } from '../errors';
import type { ByteStream } from '../entry';
import { AppendGuard, checkLength, checkOffset, checkSize } from './append-guard';
import type { AppendOptions, NewUpload, UploadRecord, UploadStore } from './upload-store';

interface Held {
  record: UploadRecord;
  readonly chunks: Buffer[];
}

export class MemoryUploadStore implements UploadStore {
  readonly #uploads = new Map<string, Held>();
  readonly #guard = new AppendGuard();

  async create(upload: NewUpload, now = Date.now()): Promise<UploadRecord> {
    if (this.#uploads.has(upload.id)) throw new DavError('conflict', `davsync: upload ${upload.id} exists`);
    const record: UploadRecord = { ...upload, meta: { ...(upload.meta ?? {}) }, offset: 0, updated: now };
    this.#uploads.set(upload.id, { record, chunks: [] });
    return record;
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    return this.#uploads.get(id)?.record;
  }

  async append(id: string, offset: number, body: ByteStream, options: AppendOptions = {}): Promise<UploadRecord> {
    const held = this.#uploads.get(id);
    if (held === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
    const release = this.#guard.take(id);
    try {
      checkOffset(id, held.record.offset, offset);
      checkLength(id, held.record.length, options.length);
      const length = held.record.length ?? options.length;
      let at = offset;
      const update = () => {
        held.record = { ...held.record, offset: at, updated: options.now ?? Date.now(), ...(length === undefined ? {} : { length }) };
      };
      try {
        for await (const chunk of body) {
          checkSize(at + chunk.length, options.maxBytes);
          // Copied: a producer may reuse its buffer.
          held.chunks.push(Buffer.from(chunk));
          at += chunk.length;
        }
      } finally {
        // Whatever arrived is kept, also when the body failed part-way.
        update();
      }
      return held.record;
    } finally {
      release();
    }
  }

  async read(id: string): Promise<ByteStream> {
    const held = this.#uploads.get(id);
    if (held === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
    const chunks = held.chunks.slice();
    return (async function* () {
      for (const chunk of chunks) yield chunk;
    })();
  }

  async remove(id: string): Promise<boolean> {
    if (this.#guard.holds(id)) throw new DavError('busy', `davsync: upload ${id} is being appended to`);
    return this.#uploads.delete(id);
  }

  async list(owner?: string): Promise<UploadRecord[]> {
    return [...this.#uploads.values()].map((h) => h.record).filter((r) => owner === undefined || r.owner === owner);
  }
}
