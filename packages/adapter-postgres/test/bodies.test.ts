/**
 * `bodies.ts` on its own: a body streamed into chunks of CHUNK_SIZE inside
 * the caller's transaction, its ETag the SHA-1 of media type and bytes
 * whatever the pieces it came in, a producer's reused buffer copied, the
 * size limit, and chunks dropped only when no member uses them.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { DavError } from '@davsync/core';
import { bodyOf, patternBytes, readAll } from '@davsync/core/testing';
import { bodySql, CHUNK_SIZE, dropUnreferenced, readBody, storeBody, type BodySql } from '../src/bodies';
import { PostgresAdapter } from '../src/postgres-adapter';
import { quoteSchema } from '../src/schema';
import { inTransaction } from '../src/transaction';
import { freshSchema, newPool } from './support/postgres';

let pool: Pool;
let schema: string;
let sql: BodySql;
beforeAll(async () => {
  pool = await newPool(3);
  schema = await freshSchema();
  sql = bodySql(quoteSchema(schema));
});
// The support's afterAll drops the file's database (schemas included) and ends its pools.

const chunksOf = async (blob: number): Promise<number[]> =>
  (await pool.query<{ n: number }>(`SELECT length(data) AS n FROM "${schema}".chunks WHERE blob = $1 ORDER BY seq`, [blob])).rows.map((r) => r.n);
const sha1 = (type: string, bytes: Uint8Array): string => createHash('sha1').update(type).update('\0').update(bytes).digest('hex');

/** `bytes` in pieces of the given sizes, all through ONE reused buffer, as some producers do. */
async function* reusedBuffer(bytes: Uint8Array, pieces: number[]): AsyncIterable<Uint8Array> {
  const buf = Buffer.alloc(Math.max(...pieces));
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(pieces[i % pieces.length] as number, bytes.length - at);
    buf.set(bytes.subarray(at, at + n));
    yield buf.subarray(0, n);
    at += n;
  }
}

describe('storeBody', () => {
  it('splits into full chunks and one short last one, tagging SHA-1 of type and bytes, whatever the pieces', async () => {
    const data = patternBytes(2 * CHUNK_SIZE + 1000, 9);
    const stored = await inTransaction(pool, 'test', (client) => storeBody(client, sql, reusedBuffer(data, [7000, 65536, 1]), 'text/plain', 10 * CHUNK_SIZE));
    expect(stored.size).toBe(data.length);
    expect(stored.chunkSize).toBe(CHUNK_SIZE);
    expect(stored.etag).toBe(sha1('text/plain', data));
    expect(await chunksOf(stored.blob)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 1000]);
    const back = await pool.query<{ data: Buffer }>(`SELECT data FROM "${schema}".chunks WHERE blob = $1 ORDER BY seq`, [stored.blob]);
    expect(Buffer.concat(back.rows.map((r) => r.data)).equals(Buffer.from(data))).toBe(true);
  });

  it('an empty body is no chunk; the media type is part of the tag', async () => {
    const a = await inTransaction(pool, 'test', (client) => storeBody(client, sql, bodyOf(''), undefined, 10));
    expect([a.size, await chunksOf(a.blob)]).toEqual([0, []]);
    expect(a.etag).toBe(sha1('', new Uint8Array()));
    const b = await inTransaction(pool, 'test', (client) => storeBody(client, sql, bodyOf('same'), 'text/a', 10));
    const c = await inTransaction(pool, 'test', (client) => storeBody(client, sql, bodyOf('same'), 'text/b', 10));
    expect(b.etag).not.toBe(c.etag);
    expect(b.blob).not.toBe(c.blob);
  });

  it('past maxBytes is payload-too-large, and the rolled-back transaction leaves no chunk', async () => {
    const count = async (): Promise<number> => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".chunks`)).rows[0]!.n);
    const before = await count();
    const err = await inTransaction(pool, 'test', (client) => storeBody(client, sql, bodyOf(patternBytes(2 * CHUNK_SIZE + 10, 1)), undefined, 2 * CHUNK_SIZE + 9)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DavError);
    expect((err as DavError).code).toBe('payload-too-large');
    // Two full chunks were written before the limit was passed; the rollback took them back.
    expect(await count()).toBe(before);
  });
});

describe('dropUnreferenced and readBody', () => {
  it('drops the chunks of blobs no member uses, keeps those a member uses; reads a member\'s body and ranges across chunks', async () => {
    const adapter = new PostgresAdapter({ pool, schema });
    const data = patternBytes(CHUNK_SIZE + 5, 3);
    await adapter.write('/kept.bin', bodyOf(data));
    const used = Number((await pool.query<{ blob: string }>(`SELECT blob FROM "${schema}".members WHERE path = '/kept.bin'`)).rows[0]!.blob);
    const orphan = await inTransaction(pool, 'test', (client) => storeBody(client, sql, bodyOf('orphan'), undefined, 100));
    await inTransaction(pool, 'test', (client) => dropUnreferenced(client, sql, [used, orphan.blob, null]));
    expect(await chunksOf(orphan.blob)).toEqual([]);
    expect(await chunksOf(used)).toEqual([CHUNK_SIZE, 5]);
    expect(Buffer.from(await readAll(await readBody(pool, sql, '/kept.bin', undefined))).equals(Buffer.from(data))).toBe(true);
    const across = await readAll(await readBody(pool, sql, '/kept.bin', { start: CHUNK_SIZE - 2, end: CHUNK_SIZE + 1 }));
    expect(Buffer.from(across).equals(Buffer.from(data.subarray(CHUNK_SIZE - 2, CHUNK_SIZE + 2)))).toBe(true);
    await expect(readBody(pool, sql, '/none.bin', undefined)).rejects.toMatchObject({ code: 'not-found' });
  });
});
