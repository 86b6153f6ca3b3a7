/**
 * The commit-order guarantee, under real concurrency: many writers on
 * several "instances" (adapters with pools of their own on one database)
 * while readers on other instances sync incrementally as fast as they can,
 * each from the token (revision) its previous pass ended at. A reader that
 * ever saw revision N+1 before N was visible would move its token past N
 * and never see N's member: every reader must end up with every member.
 *
 * The same checker runs against a naive log numbered by a sequence (a
 * negative control): there it does find skipped entries, which shows the
 * test can fail and that a sequence alone is not enough.
 */
import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { bodyOf } from '@davsync/core/testing';
import { PostgresAdapter } from '../src/index';
import { database, dropSchema, endPool, freshSchema, newPool } from './support/postgres';

/** One instance's view of a change log. */
interface Log {
  append(path: string): Promise<void>;
  /** The highest revision a reader may sync up to now (the collection's token). */
  head(): Promise<number>;
  /** Paths with after < revision <= through. */
  since(after: number, through: number): Promise<string[]>;
}

const WRITERS = Number(process.env['DAVSYNC_ORDER_WRITERS']) || 12;
const PER_WRITER = Number(process.env['DAVSYNC_ORDER_WRITES']) || 25;
const READERS = 3;

interface Outcome {
  readonly written: number;
  /** Per reader: how many written paths it never saw. */
  readonly missed: number[];
  readonly passes: number[];
}

/** Writers on `writerLogs` (round robin), readers on `readerLogs`, all at once. */
async function race(writerLogs: readonly Log[], readerLogs: readonly Log[]): Promise<Outcome> {
  const written: string[] = [];
  let writing = true;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const log = writerLogs[w % writerLogs.length] as Log;
    for (let i = 0; i < PER_WRITER; i++) {
      const path = `/w${w}-${i}`;
      await log.append(path);
      written.push(path);
    }
  });
  const readers = readerLogs.map(async (log) => {
    const seen = new Set<string>();
    let token = 0;
    let passes = 0;
    const pass = async (): Promise<void> => {
      const through = await log.head();
      for (const p of await log.since(token, through)) seen.add(p);
      token = through;
      passes++;
    };
    while (writing) await pass();
    await pass(); // everything is committed now: a correct log has nothing left unseen
    return { seen, passes };
  });
  await Promise.all(writers);
  writing = false;
  const results = await Promise.all(readers);
  return {
    written: written.length,
    missed: results.map((r) => written.filter((p) => !r.seen.has(p)).length),
    passes: results.map((r) => r.passes),
  };
}

describe('commit order across instances', () => {
  it(`never lets a reader skip a revision (${WRITERS} writers on 3 instances, ${READERS} readers on others)`, async () => {
    const schema = await freshSchema();
    const pools: Pool[] = [];
    const instance = async (): Promise<Log> => {
      const pool = await newPool(6);
      pools.push(pool);
      const adapter = new PostgresAdapter({ pool, schema });
      return {
        append: async (path) => {
          await adapter.write(path, bodyOf(path));
        },
        head: async () => (await adapter.journal.collection('/'))?.currentRevision ?? 0,
        since: async (after, through) => {
          const out: string[] = [];
          for await (const batch of adapter.journal.scan('/', 1, after, through)) out.push(...batch.map((e) => e.path));
          return out;
        },
      };
    };
    try {
      const writers = [await instance(), await instance(), await instance()];
      const readers = [await instance(), await instance(), await instance()];
      const outcome = await race(writers, readers);
      expect(outcome.written).toBe(WRITERS * PER_WRITER);
      expect(outcome.missed).toEqual([0, 0, 0]);
      // The readers really did sync while the writers were busy.
      for (const n of outcome.passes) expect(n).toBeGreaterThan(5);
    } finally {
      for (const p of pools) await endPool(p);
      await dropSchema(schema);
    }
  }, 60_000);

  it('catches the skips of a log numbered by a sequence alone (negative control)', async () => {
    const { pool } = await database();
    const table = `naive_${process.pid}`;
    await pool.query(`CREATE TABLE ${table} (revision bigserial PRIMARY KEY, path text NOT NULL)`);
    const pools: Pool[] = [];
    const instance = async (): Promise<Log> => {
      const own = await newPool(6);
      pools.push(own);
      return {
        // The revision is drawn at INSERT; a short pause before COMMIT stands
        // for the rest of a real transaction (the body, other rows).
        append: async (path) => {
          const client = await own.connect();
          try {
            await client.query('BEGIN');
            await client.query(`INSERT INTO ${table} (path) VALUES ($1)`, [path]);
            await client.query('SELECT pg_sleep(random() * 0.004)');
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        },
        head: async () => Number((await own.query(`SELECT coalesce(max(revision), 0) AS head FROM ${table}`)).rows[0].head),
        since: async (after, through) =>
          (await own.query<{ path: string }>(`SELECT path FROM ${table} WHERE revision > $1 AND revision <= $2`, [after, through])).rows.map(
            (r) => r.path,
          ),
      };
    };
    try {
      const outcome = await race([await instance(), await instance(), await instance()], [await instance(), await instance(), await instance()]);
      expect(outcome.missed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    } finally {
      for (const p of pools) await endPool(p);
      await pool.query(`DROP TABLE ${table}`);
    }
  }, 60_000);
});
