/**
 * Resumable uploads on disk, in the state directory's `uploads/` (on the
 * root's filesystem, outside the tree, and not emptied at start-up as
 * `tmp/` is: an upload must survive a restart). Each upload is two files:
 * `<id>.data`, its bytes, append-only, and `<id>.json`, its record (target,
 * owner, length, offset, time), replaced atomically (temporary file, fsync,
 * rename, directory fsync).
 *
 * The record's offset is the durable truth: it is written only after the
 * data up to it has been fsynced, at the end of every append (also one cut
 * off by the client) and on the way every {@link CHECKPOINT_BYTES} or
 * {@link CHECKPOINT_MS}, whichever comes first, and whenever the body has
 * been quiet for {@link IDLE_CHECKPOINT_MS}, so an append that dies with the
 * server (SIGKILL, power) loses at most what arrived since. Bytes
 * past the recorded offset (written, not yet acknowledged when the server
 * died) are cut off before the next append, so a client never resumes on
 * bytes nobody vouched for.
 *
 * One process owns a state directory (the store's state lock), so the
 * in-process `AppendGuard` is the whole of "one appender at a time".
 */
import { closeSync, fsync, ftruncateSync, openSync, promises as fsp, renameSync, truncateSync, write, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppendGuard, checkLength, checkOffset, checkSize, DavError, type AppendOptions, type ByteStream, type NewUpload, type UploadRecord, type UploadStore, offerAdoption } from '@davsync/core';
import { fsyncDirectory, tempPathIn } from '../writes/atomic-write';
import { errorCode } from '../paths/fs-errors';

const fsyncAsync = promisify(fsync);
const writeAsync = promisify(write) as unknown as (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;

/** Bytes between two checkpoints of a long append: what a server crash can cost the client, at most. */
export const CHECKPOINT_BYTES = 16 * 1024 * 1024;
/** Time between two checkpoints of a slow append: an fsync and a small rename twice a second costs little. */
export const CHECKPOINT_MS = 500;

/** A body quiet this long gets a checkpoint: what arrived is recorded while the sender pauses (or the server is about to die). */
export const IDLE_CHECKPOINT_MS = 200;

/**
 * The body's next chunk; if it takes longer than {@link IDLE_CHECKPOINT_MS},
 * `onIdle` runs (once) while it is awaited.
 */
async function nextOrIdle(chunks: AsyncIterator<Uint8Array>, onIdle: () => Promise<void>): Promise<IteratorResult<Uint8Array>> {
  const next = chunks.next();
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), IDLE_CHECKPOINT_MS)));
  try {
    const first = await Promise.race([next, idle]);
    if (first !== 'idle') return first;
  } finally {
    clearTimeout(timer);
  }
  await onIdle();
  return await next;
}

/** Ids the store accepts: they become file names. */
const ID = /^[A-Za-z0-9_-]{16,64}$/;

export class FsUploadStore implements UploadStore {
  readonly #guard = new AppendGuard();
  #ready: Promise<void> | undefined;

  /** `dir`: the state directory's `uploads/`, created on first use. */
  constructor(readonly dir: string) {}

  async create(upload: NewUpload, now = Date.now()): Promise<UploadRecord> {
    const id = checkId(upload.id);
    await this.#open();
    const record: UploadRecord = { ...upload, meta: { ...(upload.meta ?? {}) }, offset: 0, updated: now };
    const fd = openSync(this.#data(id), 'wx', 0o600);
    closeSync(fd);
    await this.#writeRecord(record);
    return record;
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return parseRecord(await fsp.readFile(this.#record(id), 'utf8'));
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async append(id: string, offset: number, body: ByteStream, options: AppendOptions = {}): Promise<UploadRecord> {
    const release = this.#guard.take(checkId(id));
    try {
      const record = await this.get(id);
      if (record === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
      checkOffset(id, record.offset, offset);
      checkLength(id, record.length, options.length);
      const length = record.length ?? options.length;
      const fd = openData(this.#data(id), id);
      let at = offset;
      let saved = record;
      const checkpoint = async () => {
        await fsyncAsync(fd);
        saved = { ...saved, offset: at, updated: options.now ?? Date.now(), ...(length === undefined ? {} : { length }) };
        await this.#writeRecord(saved);
      };
      try {
        // Bytes past the record were never acknowledged (a crash mid-append): they go.
        ftruncateSync(fd, offset);
        let sinceCheckpoint = 0;
        let lastCheckpoint = Date.now();
        const chunks = body[Symbol.asyncIterator]();
        let finished = false;
        try {
          for (;;) {
            const next = sinceCheckpoint === 0 ? await chunks.next() : await nextOrIdle(chunks, async () => {
              await checkpoint();
              sinceCheckpoint = 0;
              lastCheckpoint = Date.now();
            });
            if (next.done === true) {
              finished = true;
              break;
            }
            const chunk = next.value;
            checkSize(at + chunk.length, options.maxBytes);
            for (let done = 0; done < chunk.length; ) done += (await writeAsync(fd, chunk, done, chunk.length - done, at + done)).bytesWritten;
            at += chunk.length;
            sinceCheckpoint += chunk.length;
            if (sinceCheckpoint >= CHECKPOINT_BYTES || Date.now() - lastCheckpoint >= CHECKPOINT_MS) {
              await checkpoint();
              sinceCheckpoint = 0;
              lastCheckpoint = Date.now();
            }
          }
        } finally {
          // Also when the body failed part-way: what arrived is kept.
          await checkpoint();
          // A refused body (too large) is not read on: let its source go, as for-await would.
          if (!finished) await chunks.return?.().catch(() => undefined);
        }
        return saved;
      } finally {
        closeSync(fd);
      }
    } finally {
      release();
    }
  }

  /**
   * The acknowledged bytes, in 1 MiB reads (memory stays flat), opened at
   * the first read. The stream offers its file for adoption
   * (`adoptable-body.ts`): the fs store's write renames it into its staging
   * area instead of copying it, and the stream then reads from there.
   */
  async read(id: string): Promise<ByteStream> {
    const record = await this.get(id);
    if (record === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
    const size = record.offset;
    let path = this.#data(id);
    let adopted = false;
    const bytes = (async function* (): AsyncGenerator<Uint8Array> {
      if (size > 0) yield* createReadStream(path, { start: 0, end: size - 1, highWaterMark: 1024 * 1024 });
    })();
    return offerAdoption(bytes, {
      size,
      origin: bytes,
      get adopted() {
        return adopted;
      },
      adopt: async (dir) => {
        const moved = await this.#adopt(id, size, dir);
        if (moved !== undefined) [path, adopted] = [moved, true];
        return moved;
      },
    });
  }

  /** Renames the upload's data out to `dir` (cut to the acknowledged `size`); undefined across filesystems. */
  async #adopt(id: string, size: number, dir: string): Promise<string | undefined> {
    // Not while an append runs: the bytes must be the ones read for the hashes.
    const release = this.#guard.take(checkId(id));
    try {
      const target = tempPathIn(dir, 'upload');
      try {
        renameSync(this.#data(id), target);
      } catch (err) {
        if (errorCode(err) === 'EXDEV') return undefined;
        if (errorCode(err) === 'ENOENT') throw new DavError('not-found', `davsync: no upload ${id}`);
        throw err;
      }
      // Bytes past the record were never acknowledged (an append cut by a crash).
      truncateSync(target, size);
      // The upload is consumed: its record goes too, so a crash before the
      // member is published leaves no upload that claims bytes it lost
      // (the client starts over, as after any refused completion).
      await fsp.rm(this.#record(id), { force: true });
      await fsyncDirectory(this.dir);
      return target;
    } finally {
      release();
    }
  }

  async remove(id: string): Promise<boolean> {
    if (!ID.test(id)) return false;
    if (this.#guard.holds(id)) throw new DavError('busy', `davsync: upload ${id} is being appended to`);
    const existed = await fsp.rm(this.#record(id)).then(() => true, (err) => (errorCode(err) === 'ENOENT' ? false : Promise.reject(err)));
    await fsp.rm(this.#data(id), { force: true });
    if (existed) await fsyncDirectory(this.dir);
    return existed;
  }

  async list(owner?: string): Promise<UploadRecord[]> {
    await this.#open();
    const found: UploadRecord[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const record = await this.get(name.slice(0, -'.json'.length));
      if (record !== undefined && (owner === undefined || record.owner === owner)) found.push(record);
    }
    return found;
  }

  #open(): Promise<void> {
    this.#ready ??= (async () => {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Leftover temporary records of a crash mid-replacement.
      for (const name of await fsp.readdir(this.dir)) if (name.startsWith('record-')) await fsp.rm(join(this.dir, name), { force: true });
    })();
    return this.#ready;
  }

  async #writeRecord(record: UploadRecord): Promise<void> {
    const temp = tempPathIn(this.dir, 'record');
    const handle = await fsp.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, this.#record(record.id));
    await fsyncDirectory(this.dir);
  }

  #data(id: string): string {
    return join(this.dir, `${id}.data`);
  }

  #record(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

/** Opens an upload's data for appending; gone (adopted by a completion) is `not-found`. */
function openData(path: string, id: string): number {
  try {
    return openSync(path, 'r+');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw new DavError('not-found', `davsync: no upload ${id}`);
    throw err;
  }
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new DavError('bad-request', 'davsync: malformed upload id');
  return id;
}

/** A record as written by `#writeRecord`; one that does not parse is treated as absent (never written whole). */
function parseRecord(text: string): UploadRecord | undefined {
  try {
    const r = JSON.parse(text) as UploadRecord;
    return typeof r.id === 'string' && typeof r.offset === 'number' && typeof r.target === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
