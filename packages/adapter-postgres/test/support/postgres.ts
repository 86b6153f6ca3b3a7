/**
 * One PostgreSQL database per test file: a throwaway server started on
 * first use (or `DAVSYNC_TEST_PG_URL`), a database created in it, and a
 * fresh PostgreSQL schema (namespace) per store, so every test starts from
 * an empty store without paying for a new database. Everything is dropped
 * and stopped in `afterAll`.
 */
import { afterAll } from '@jest/globals';
import { Pool } from 'pg';
import { migrate, PostgresAdapter, type PostgresAdapterOptions } from '../../src/index';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index';

interface Shared {
  readonly server: TestPostgres;
  readonly url: string;
  readonly pool: Pool;
}

let shared: Promise<Shared> | undefined;
let schemas = 0;
const pools = new Set<Pool>();

afterAll(async () => {
  const s = shared;
  shared = undefined;
  if (s === undefined) return;
  const { server, url, pool } = await s;
  for (const p of pools) await p.end().catch(() => undefined);
  pools.clear();
  await pool.end();
  await server.dropDatabase(url);
  await server.close();
}, 60_000);

/** The file's server and database, started on first use. */
export function database(): Promise<Shared> {
  shared ??= (async () => {
    const server = await startTestPostgres();
    const url = await server.createDatabase();
    const pool = new Pool({ connectionString: url, max: 4 });
    // pg-pool's end() resolves before its sockets have closed, and afterAll's
    // DROP DATABASE ... WITH (FORCE) then ends those backends: the FATAL reply
    // arrives as an 'error' on the pool, which without a listener is an
    // unhandled error charged to whichever test is running.
    pool.on('error', () => undefined);
    return { server, url, pool };
  })();
  return shared;
}

/** A new pool on the file's database; ended in `afterAll` if the test does not end it. */
export async function newPool(max = 6): Promise<Pool> {
  const { url } = await database();
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  pools.add(pool);
  return pool;
}

/** Ends a pool made by `newPool`. */
export async function endPool(pool: Pool): Promise<void> {
  if (pools.delete(pool)) await pool.end();
}

/** A new, migrated schema name. */
export async function freshSchema(): Promise<string> {
  const { pool } = await database();
  const schema = `t${process.pid}_${schemas++}`;
  await migrate(pool, schema);
  return schema;
}

/** Drops a schema made by `freshSchema`. */
export async function dropSchema(schema: string): Promise<void> {
  const { pool } = await database();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

const made = new WeakMap<object, { schema: string; pool: Pool }>();

/** An adapter over a fresh schema with a pool of its own. */
export async function freshAdapter(options: Omit<PostgresAdapterOptions, 'pool' | 'schema'> = {}): Promise<PostgresAdapter> {
  const schema = await freshSchema();
  const pool = await newPool();
  const adapter = new PostgresAdapter({ ...options, pool, schema });
  made.set(adapter, { schema, pool });
  made.set(adapter.journal, { schema, pool });
  return adapter;
}

/** Releases an adapter (or its journal) made by `freshAdapter`. */
export async function releaseAdapter(adapterOrJournal: object): Promise<void> {
  const m = made.get(adapterOrJournal);
  if (m === undefined) return;
  made.delete(adapterOrJournal);
  await endPool(m.pool);
  await dropSchema(m.schema);
}
