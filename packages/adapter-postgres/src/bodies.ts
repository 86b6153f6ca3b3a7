/**
 * File bodies in the `chunks` table: streamed in as fixed-size `bytea`
 * chunks while the request arrives, streamed out one chunk per query.
 *
 * A body is an immutable blob: a write makes a new one and repoints the
 * member, a copy shares it, and it is deleted when no member refers to it.
 * Immutability is what keeps readers whole: a read of one chunk needs no
 * transaction, and a read of many runs in one REPEATABLE READ snapshot, in
 * which the blob stays visible even if a writer deletes it meanwhile.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { DavError, conflict, notFound, type ByteRange, type ByteStream } from '@davsync/core';
import { connect, query, release } from './transaction';
import { databaseError, isConnectionLoss } from './pg-errors';

/** Bytes per stored chunk: large enough that a big body is few rows, small enough to hold a few in memory. */
export const CHUNK_SIZE = 256 * 1024;

export function bodySql(s: string) {
  return {
    nextBlob: `SELECT nextval('${s}.blob_ids') AS id`,
    insertChunk: `INSERT INTO ${s}.chunks (blob, seq, data) VALUES ($1, $2, $3)`,
    // The member and the first chunk the read needs, in one snapshot.
    head: `SELECT m.collection, m.size, m.blob, m.chunk_size, c.data
           FROM ${s}.members m LEFT JOIN ${s}.chunks c ON c.blob = m.blob AND c.seq = $2
           WHERE m.path = $1`,
    chunk: `SELECT data FROM ${s}.chunks WHERE blob = $1 AND seq = $2`,
    dropUnreferenced: `DELETE FROM ${s}.chunks c WHERE c.blob = ANY ($1::bigint[])
                       AND NOT EXISTS (SELECT 1 FROM ${s}.members m WHERE m.blob = c.blob)`,
  };
}

export type BodySql = ReturnType<typeof bodySql>;

/** A body as stored: its blob, its length and the strong ETag that names it. */
export interface StoredBody {
  readonly blob: number;
  readonly size: number;
  readonly etag: string;
  readonly chunkSize: number;
}

/**
 * Streams `body` into a new blob inside the caller's transaction, hashing it
 * on the way; nothing is held in memory beyond one chunk. Every incoming
 * piece is copied, because a producer may reuse its buffers. The ETag is the
 * SHA-1 of the media type and the bytes (as in the memory adapter), so equal
 * content gets equal tags on every instance.
 *
 * @throws DavError('payload-too-large') past `maxBytes`; the caller's
 *   rollback then discards the chunks written so far.
 */
export async function storeBody(
  client: PoolClient,
  sql: BodySql,
  body: ByteStream,
  contentType: string | undefined,
  maxBytes: number,
): Promise<StoredBody> {
  const [row] = await query<{ id: string }>(client, 'storing a body', { text: sql.nextBlob });
  const blob = Number(row?.id);
  const hash = createHash('sha1').update(contentType ?? '').update('\0');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let seq = 0;
  const flush = async (data: Buffer): Promise<void> => {
    await query(client, 'storing a body', { text: sql.insertChunk, values: [blob, seq++, data] });
  };
  for await (const piece of body) {
    const copy = Buffer.from(piece);
    size += copy.length;
    if (size > maxBytes) throw new DavError('payload-too-large', `the body is larger than the ${maxBytes} bytes this store accepts`);
    hash.update(copy);
    pending.push(copy);
    pendingBytes += copy.length;
    if (pendingBytes >= CHUNK_SIZE) {
      let all = Buffer.concat(pending, pendingBytes);
      while (all.length >= CHUNK_SIZE) {
        await flush(all.subarray(0, CHUNK_SIZE));
        all = all.subarray(CHUNK_SIZE);
      }
      pending = all.length > 0 ? [all] : [];
      pendingBytes = all.length;
    }
  }
  if (pendingBytes > 0) await flush(Buffer.concat(pending, pendingBytes));
  return { blob, size, etag: hash.digest('hex'), chunkSize: CHUNK_SIZE };
}

/** Deletes the chunks of those blobs no member refers to any more (inside the mutation's transaction). */
export async function dropUnreferenced(client: PoolClient, sql: BodySql, blobs: readonly (number | null)[]): Promise<void> {
  const ids = blobs.filter((b): b is number => b !== null);
  if (ids.length > 0) await query(client, 'removing bodies', { text: sql.dropUnreferenced, values: [ids] });
}

interface HeadRow {
  readonly collection: boolean;
  readonly size: string | null;
  readonly blob: string | null;
  readonly chunk_size: number | null;
  readonly data: Buffer | null;
}

/**
 * The content of the file at `path`, or the inclusive `range` of it. A body
 * that fits in one chunk is read in one query; a longer one streams from a
 * REPEATABLE READ transaction on a connection of its own, released when the
 * stream ends or is destroyed.
 */
export async function readBody(pool: Pool, sql: BodySql, path: string, range: ByteRange | undefined): Promise<ByteStream> {
  // Chunk sizes are per member, so the first query asks for the chunk the
  // range starts in under the current size; a member written with another
  // size is simply read again below.
  const startAt = Math.max(range?.start ?? 0, 0);
  const guess = Math.floor(startAt / CHUNK_SIZE);
  const [head] = await query<HeadRow>(pool, 'reading a body', { text: sql.head, values: [path, guess] });
  if (head === undefined) throw notFound(path);
  if (head.collection) throw conflict(path, 'a collection has no content');
  const size = Number(head.size ?? 0);
  const chunkSize = head.chunk_size ?? CHUNK_SIZE;
  const start = Math.min(startAt, size);
  const end = range?.end === undefined ? size : Math.min(range.end + 1, size);
  if (end <= start || head.blob === null) return Readable.from([], { objectMode: false });
  const first = Math.floor(start / chunkSize);
  const last = Math.floor((end - 1) / chunkSize);
  if (first === last && chunkSize === CHUNK_SIZE && head.data !== null) {
    const offset = first * chunkSize;
    return Readable.from([head.data.subarray(start - offset, end - offset)], { objectMode: false });
  }
  return openChunkStream(pool, sql, path, Number(head.blob), chunkSize, start, end);
}

/**
 * Opens the snapshot a multi-chunk read runs in. The blob named by the first
 * query may have been replaced and deleted just before the snapshot began;
 * then the read starts over from the member's current blob.
 */
async function openChunkStream(
  pool: Pool,
  sql: BodySql,
  path: string,
  blob: number,
  chunkSize: number,
  start: number,
  end: number,
): Promise<ByteStream> {
  const client = await connect(pool, 'reading a body');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const first = Math.floor(start / chunkSize);
    const rows = (await client.query<{ data: Buffer }>({ text: sql.chunk, values: [blob, first] })).rows;
    if (rows[0] === undefined) {
      await client.query('ROLLBACK');
      release(client, false);
      return readBody(pool, sql, path, { start, end: end - 1 });
    }
    return new ChunkStream(client, sql, blob, chunkSize, start, end, rows[0].data);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    release(client, true);
    throw databaseError(err, 'reading a body');
  }
}

/** Streams chunks `start..end` of a blob from an open REPEATABLE READ transaction that it owns. */
class ChunkStream extends Readable {
  #client: PoolClient | undefined;
  readonly #sql: BodySql;
  readonly #blob: number;
  readonly #chunkSize: number;
  readonly #end: number;
  #at: number;
  #first: Buffer | undefined;

  constructor(client: PoolClient, sql: BodySql, blob: number, chunkSize: number, start: number, end: number, first: Buffer) {
    super();
    this.#client = client;
    this.#sql = sql;
    this.#blob = blob;
    this.#chunkSize = chunkSize;
    this.#at = start;
    this.#end = end;
    this.#first = first;
  }

  override _read(): void {
    this.#next().then(
      (data) => {
        if (data === null) this.#finish(false).then(() => this.push(null), (err: unknown) => this.destroy(err as Error));
        else this.push(data);
      },
      (err: unknown) => this.destroy(databaseError(err, 'reading a body') as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#finish(error !== null).then(() => callback(error), () => callback(error));
  }

  async #next(): Promise<Buffer | null> {
    if (this.#at >= this.#end) return null;
    const seq = Math.floor(this.#at / this.#chunkSize);
    let data = this.#first;
    this.#first = undefined;
    if (data === undefined) {
      const client = this.#client;
      if (client === undefined) throw new DavError('unavailable', 'the read was closed');
      const rows = (await client.query<{ data: Buffer }>({ text: this.#sql.chunk, values: [this.#blob, seq] })).rows;
      data = rows[0]?.data;
      // Cannot happen in the snapshot unless the table was tampered with.
      if (data === undefined) throw new Error(`davsync: chunk ${seq} of blob ${this.#blob} is missing`);
    }
    const offset = seq * this.#chunkSize;
    const piece = data.subarray(this.#at - offset, Math.min(this.#end - offset, data.length));
    if (piece.length === 0) throw new Error(`davsync: chunk ${seq} of blob ${this.#blob} is shorter than its member's size`);
    this.#at += piece.length;
    return piece;
  }

  /** Ends the snapshot and returns the connection, once. */
  async #finish(failed: boolean): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    this.#client = undefined;
    let broken = false;
    try {
      await client.query(failed ? 'ROLLBACK' : 'COMMIT');
    } catch (err) {
      broken = true;
      if (!isConnectionLoss(err)) throw err;
    } finally {
      release(client, broken);
    }
  }
}
