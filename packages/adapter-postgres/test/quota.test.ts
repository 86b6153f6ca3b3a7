/**
 * PostgresAdapter's quota (RFC 4331) on a throwaway server: the shared
 * quota suite, the total kept by the members table's triggers across two
 * instances, and the migration counting what a schema-3 store held.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Pool } from 'pg';
import { openPostgresStore, PostgresAdapter, type PostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres, type TestPostgres } from '@davsync/adapter-postgres/testing';
import { defineQuotaSuite, writeText } from '@davsync/core/testing';

let server: TestPostgres;
let url: string;
let schemas = 0;
const stores = new Map<unknown, PostgresStore>();

beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase('davsync_quota');
}, 120_000);

afterAll(async () => {
  for (const store of stores.values()) await store.close();
  await server?.dropDatabase(url);
  await server?.close();
}, 60_000);

async function open(quotaBytes: number | undefined, schema = `quota_${schemas++}`): Promise<PostgresStore> {
  const store = await openPostgresStore({ connectionString: url, schema, poolOptions: { max: 4 }, ...(quotaBytes === undefined ? {} : { quotaBytes }) });
  stores.set(store.adapter, store);
  return store;
}

defineQuotaSuite({
  name: 'PostgreSQL',
  create: async (quotaBytes) => (await open(quotaBytes)).adapter,
  cleanup: async (adapter) => {
    const store = stores.get(adapter);
    stores.delete(adapter);
    await store?.close();
  },
});

describe('PostgreSQL quota across instances', () => {
  it('two instances on one schema share the total and the quota', async () => {
    const schema = `quota_${schemas++}`;
    const one = await open(100, schema);
    const two = await open(100, schema);
    await writeText(one.adapter, '/a', 'x'.repeat(60));
    expect(await two.adapter.quota('/')).toEqual({ used: 60, available: 40 });
    await expect(writeText(two.adapter, '/b', 'x'.repeat(41))).rejects.toMatchObject({ code: 'insufficient-storage', condition: 'quota-not-exceeded' });
    await writeText(two.adapter, '/b', 'x'.repeat(40));
    expect(await one.adapter.quota('/')).toEqual({ used: 100, available: 0 });
  });

  it('the schema-4 migration counts the bytes a store already held', async () => {
    const schema = `quota_${schemas++}`;
    const first = await open(undefined, schema);
    await writeText(first.adapter, '/a', 'x'.repeat(25));
    await first.adapter.mkcol('/c');
    await writeText(first.adapter, '/c/b', 'x'.repeat(5));
    // Back to how a schema-3 store looked: no total, no triggers, no file IDs, no push registrations.
    const pool = new Pool({ connectionString: url, max: 1 });
    try {
      await pool.query(`DROP FUNCTION "${schema}".count_bytes() CASCADE`);
      await pool.query(`ALTER TABLE "${schema}".clock DROP COLUMN used_bytes`);
      await pool.query(`ALTER TABLE "${schema}".members DROP COLUMN file_id`);
      await pool.query(`DROP TABLE "${schema}".push_registrations`);
      await pool.query(`UPDATE "${schema}".schema_version SET version = 3`);
    } finally {
      await pool.end();
    }
    const again = await open(undefined, schema);
    expect(await again.adapter.quota('/')).toEqual({ used: 30 });
  });

  it('rejects a quotaBytes that is not a whole number of bytes', () => {
    const pool = new Pool({ connectionString: url });
    try {
      expect(() => new PostgresAdapter({ pool, quotaBytes: -5 })).toThrow(/quotaBytes/);
    } finally {
      void pool.end();
    }
  });
});
