/**
 * Resumable uploads in PostgreSQL: a row per upload in `uploads` and its
 * bytes in `upload_chunks`, so any instance sharing the database can resume
 * an upload another one began (or one that died).
 *
 * An append holds one connection for its duration, with a session advisory
 * lock on the upload: a second appender, on this instance or another, fails
 * to take it and is refused at once (`busy`). Bytes are committed a chunk
 * at a time (each chunk and the new offset in one small transaction), so
 * an append cut off by the client or a crash keeps every chunk committed
 * before it; the offset always matches the committed chunks. The advisory
 * lock goes with the session if the instance dies.
 */
import type { Pool, PoolClient } from 'pg';
import { AppendGuard, checkLength, checkOffset, checkSize, DavError, type AppendOptions, type ByteStream, type NewUpload, type UploadRecord, type UploadStore } from '@davsync/core';
import { CHUNK_SIZE } from '../bodies';
import { quoteSchema } from '../schema';
import { connect, query, release } from '../transaction';

interface Row {
  id: string;
  target: string;
  owner: string | null;
  length: string | null;
  meta: Record<string, string>;
  offset: string;
  updated: string;
}

export interface PostgresUploadStoreOptions {
  readonly pool: Pool;
  /** The davsync schema (default `davsync`), migrated. */
  readonly schema?: string;
}

export class PostgresUploadStore implements UploadStore {
  readonly #pool: Pool;
  readonly #s: string;
  /** Names this schema's advisory locks apart from other schemas' in the same database. */
  readonly #lockSpace: string;
  readonly #guard = new AppendGuard();

  constructor(options: PostgresUploadStoreOptions) {
    this.#pool = options.pool;
    this.#s = quoteSchema(options.schema ?? 'davsync');
    this.#lockSpace = `davsync-upload:${options.schema ?? 'davsync'}:`;
  }

  async create(upload: NewUpload, now = Date.now()): Promise<UploadRecord> {
    await query(this.#pool, 'create an upload', {
      text: `INSERT INTO ${this.#s}.uploads (id, target, owner, length, meta, updated) VALUES ($1, $2, $3, $4, $5, $6)`,
      values: [upload.id, upload.target, upload.owner ?? null, upload.length ?? null, JSON.stringify(upload.meta ?? {}), now],
    });
    return { ...upload, meta: { ...(upload.meta ?? {}) }, offset: 0, updated: now };
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const rows = await query<Row>(this.#pool, 'read an upload', { text: `SELECT * FROM ${this.#s}.uploads WHERE id = $1`, values: [id] });
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async append(id: string, offset: number, body: ByteStream, options: AppendOptions = {}): Promise<UploadRecord> {
    const releaseGuard = this.#guard.take(id);
    let client: PoolClient | undefined;
    let locked = false;
    let broken = false;
    try {
      client = await connect(this.#pool, 'append to an upload');
      const c = client;
      locked = await this.#tryLock(c, id);
      if (!locked) throw new DavError('busy', `davsync: another request is appending to upload ${id}`);
      const rows = await query<Row>(c, 'read an upload', { text: `SELECT * FROM ${this.#s}.uploads WHERE id = $1`, values: [id] });
      if (rows[0] === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
      let record = toRecord(rows[0]);
      checkOffset(id, record.offset, offset);
      checkLength(id, record.length, options.length);
      const length = record.length ?? options.length;
      const seqRows = await query<{ next: number }>(c, 'read an upload', {
        text: `SELECT COALESCE(MAX(seq) + 1, 0)::int AS next FROM ${this.#s}.upload_chunks WHERE upload = $1`,
        values: [id],
      });
      let seq = seqRows[0]?.next ?? 0;
      let at = offset;
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        const now = options.now ?? Date.now();
        await c.query('BEGIN');
        try {
          if (pendingBytes > 0) {
            await c.query({ text: `INSERT INTO ${this.#s}.upload_chunks (upload, seq, data) VALUES ($1, $2, $3)`, values: [id, seq, Buffer.concat(pending, pendingBytes)] });
          }
          await c.query({
            text: `UPDATE ${this.#s}.uploads SET "offset" = $2, updated = $3, length = COALESCE(length, $4) WHERE id = $1`,
            values: [id, at, now, length ?? null],
          });
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => (broken = true));
          throw err;
        }
        if (pendingBytes > 0) seq++;
        pending.length = 0;
        pendingBytes = 0;
        record = { ...record, offset: at, updated: now, ...(length === undefined ? {} : { length }) };
      };
      try {
        for await (const chunk of body) {
          checkSize(at + chunk.length, options.maxBytes);
          // Copied: a producer may reuse its buffer.
          pending.push(Buffer.from(chunk));
          pendingBytes += chunk.length;
          at += chunk.length;
          if (pendingBytes >= CHUNK_SIZE) await flush();
        }
      } finally {
        // Also when the body failed part-way: what arrived is kept.
        await flush();
      }
      return record;
    } finally {
      if (client !== undefined) {
        if (locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.#lockSpace + id]).catch(() => (broken = true));
        release(client, broken);
      }
      releaseGuard();
    }
  }

  async read(id: string): Promise<ByteStream> {
    const record = await this.get(id);
    if (record === undefined) throw new DavError('not-found', `davsync: no upload ${id}`);
    const pool = this.#pool;
    const s = this.#s;
    // One chunk per query: memory stays at one chunk whatever the size.
    return (async function* () {
      for (let seq = 0; ; seq++) {
        const rows = await query<{ data: Buffer }>(pool, 'read an upload', { text: `SELECT data FROM ${s}.upload_chunks WHERE upload = $1 AND seq = $2`, values: [id, seq] });
        if (rows[0] === undefined) return;
        yield rows[0].data;
      }
    })();
  }

  async remove(id: string): Promise<boolean> {
    if (this.#guard.holds(id)) throw new DavError('busy', `davsync: upload ${id} is being appended to`);
    const client = await connect(this.#pool, 'remove an upload');
    let broken = false;
    try {
      if (!(await this.#tryLock(client, id))) throw new DavError('busy', `davsync: upload ${id} is being appended to`);
      try {
        const gone = await query(client, 'remove an upload', { text: `DELETE FROM ${this.#s}.uploads WHERE id = $1 RETURNING id`, values: [id] });
        return gone.length > 0;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.#lockSpace + id]).catch(() => (broken = true));
      }
    } finally {
      release(client, broken);
    }
  }

  async list(owner?: string): Promise<UploadRecord[]> {
    const rows = await query<Row>(this.#pool, 'list uploads', {
      text: owner === undefined ? `SELECT * FROM ${this.#s}.uploads` : `SELECT * FROM ${this.#s}.uploads WHERE owner = $1`,
      values: owner === undefined ? [] : [owner],
    });
    return rows.map(toRecord);
  }

  async #tryLock(client: PoolClient, id: string): Promise<boolean> {
    const rows = await query<{ ok: boolean }>(client, 'lock an upload', { text: 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', values: [this.#lockSpace + id] });
    return rows[0]?.ok === true;
  }
}

function toRecord(row: Row): UploadRecord {
  return {
    id: row.id,
    target: row.target,
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.length === null ? {} : { length: Number(row.length) }),
    meta: row.meta,
    offset: Number(row.offset),
    updated: Number(row.updated),
  };
}
