/**
 * PostgresLockStore: the lock-store conformance suite on a real server (each
 * store with a pool of three connections, so the suite's parallel requests
 * really run at once), and what sharing the database means: a lock taken
 * through one instance is seen by, and conflicts through, another; parallel
 * requests spread over two instances still grant at most one conflicting
 * lock; the check is an index lookup; a version 2 schema gains the table.
 */
import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { LockRequest, LockStore } from '@davsync/core';
import { defineLockStoreSuite } from '@davsync/core/testing';
import { migrate, openPostgresStore, PostgresLockStore, SCHEMA_VERSION } from '../src/index';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

const made = new WeakMap<LockStore, { pool: Pool; schema: string }>();

defineLockStoreSuite({
  name: 'PostgresLockStore',
  create: async (options) => {
    const schema = await freshSchema();
    const pool = await newPool(3);
    const store = new PostgresLockStore({ ...options, pool, schema });
    made.set(store, { pool, schema });
    return store;
  },
  cleanup: async (store) => {
    const m = made.get(store);
    if (m === undefined) return;
    await endPool(m.pool);
    await dropSchema(m.schema);
  },
});

/** Two instances' worth of lock stores: one schema, a pool each. */
async function twoInstances<T>(work: (one: LockStore, two: LockStore, schema: string) => Promise<T>): Promise<T> {
  const schema = await freshSchema();
  const pools = [await newPool(4), await newPool(4)] as const;
  try {
    return await work(new PostgresLockStore({ pool: pools[0], schema }), new PostgresLockStore({ pool: pools[1], schema }), schema);
  } finally {
    for (const p of pools) await endPool(p);
    await dropSchema(schema);
  }
}

const ex = (path: string, depth: 0 | 'infinity' = 0): LockRequest => ({ path, scope: 'exclusive', depth, timeout: 60 });

describe('PostgresLockStore across instances', () => {
  it('a lock taken through one instance is seen by, and conflicts through, the other', () =>
    twoInstances(async (one, two) => {
      const taken = await one.lock({ ...ex('/team', 'infinity'), owner: '<D:owner xmlns:D="DAV:">ann</D:owner>' });
      if (!taken.granted) throw new Error('not granted');
      expect(await two.get(taken.lock.token)).toEqual(taken.lock);
      expect(await two.locksCovering('/team/plan.txt')).toEqual([taken.lock]);
      expect(await two.lock(ex('/team/plan.txt'))).toEqual({ granted: false, conflicts: [taken.lock] });
      expect(await two.unlock(taken.lock.token, '/team')).toBe(true);
      expect(await one.locksCovering('/team/plan.txt')).toEqual([]);
      expect((await one.lock(ex('/team/plan.txt'))).granted).toBe(true);
    }));

  it('parallel conflicting requests through both instances: at most one wins', () =>
    twoInstances(async (one, two) => {
      const same = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).lock(ex('/hot'))));
      expect(same.filter((r) => r.granted)).toHaveLength(1);
      // An ancestor's depth-infinity request against its descendants', interleaved over both instances.
      const requests = [ex('/tree', 'infinity'), ...Array.from({ length: 8 }, (_, i) => ex(`/tree/m${i}`))];
      const results = await Promise.all(requests.map((r, i) => (i % 2 ? one : two).lock(r)));
      const granted = results.flatMap((r) => (r.granted ? [r.lock.root] : []));
      expect(granted.length).toBeGreaterThan(0);
      // Either the ancestor won alone, or only descendants did: never both.
      if (granted.includes('/tree')) expect(granted).toEqual(['/tree']);
      const held = [...(await two.locksCovering('/tree')), ...(await two.locksBelow('/tree'))];
      expect(held.map((l) => l.root).sort()).toEqual([...granted].sort());
    }));

  it('counts the cap over every instance', async () => {
    const schema = await freshSchema();
    const pools = [await newPool(2), await newPool(2)] as const;
    try {
      const [one, two] = pools.map((pool) => new PostgresLockStore({ pool, schema, maxLocks: 4 }));
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two)!.lock(ex(`/f${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(6).fill('insufficient-storage'));
      expect(await one!.count()).toBe(4);
    } finally {
      for (const p of pools) await endPool(p);
      await dropSchema(schema);
    }
  });

  it('openPostgresStore gives every instance the shared store as engine.locks, with its limits', async () => {
    const schema = await freshSchema();
    const pool = await newPool();
    try {
      const a = await openPostgresStore({ pool, schema, locks: { maxTimeoutSeconds: 90 } });
      const b = await openPostgresStore({ pool, schema, locks: { maxTimeoutSeconds: 90 } });
      expect(a.engine.locks).toBeInstanceOf(PostgresLockStore);
      const taken = await a.engine.locks.lock({ ...ex('/doc'), timeout: 'infinite' });
      expect(taken.granted && taken.lock.timeoutSeconds).toBe(90);
      expect((await b.engine.locks.lock(ex('/doc'))).granted).toBe(false);
      await a.close();
      await b.close();
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });
});

describe('PostgresLockStore schema', () => {
  it('finds a path\'s locks through the root index among 10 000 locks', async () => {
    const schema = await freshSchema();
    const pool = await newPool(1);
    try {
      const store = new PostgresLockStore({ pool, schema });
      await pool.query(
        `INSERT INTO "${schema}".locks (token, root, scope, depth, timeout, expires)
         SELECT 'urn:uuid:' || gen_random_uuid(), '/other/u' || i || '/f', 'exclusive', 'infinity', 60, 9e15 FROM generate_series(1, 10000) AS i`,
      );
      await pool.query(`ANALYZE "${schema}".locks`);
      const { rows } = await pool.query(`EXPLAIN ${store.coveringSql}`, [['/a/b', '/a', '/'], '/a/b', 0]);
      const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/locks_by_root/);
      expect(plan).not.toMatch(/Seq Scan/);
      expect(await store.locksCovering('/other/u77/f/x')).toHaveLength(1);
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });

  it('upgrades a version 2 schema by adding the locks table', async () => {
    const schema = await freshSchema();
    const pool = await newPool(1);
    try {
      // Back to version 2: without step 3 (locks), 4 (the byte total) 5 (file IDs) and 6 (push registrations).
      await pool.query(`DROP TABLE "${schema}".locks`);
      await pool.query(`DROP FUNCTION "${schema}".count_bytes() CASCADE`);
      await pool.query(`ALTER TABLE "${schema}".clock DROP COLUMN used_bytes`);
      await pool.query(`ALTER TABLE "${schema}".members DROP COLUMN file_id`);
      await pool.query(`DROP TABLE "${schema}".push_registrations`);
      await pool.query(`UPDATE "${schema}".schema_version SET version = 2`);
      await migrate(pool, schema);
      expect((await pool.query(`SELECT version FROM "${schema}".schema_version`)).rows).toEqual([{ version: SCHEMA_VERSION }]);
      expect((await new PostgresLockStore({ pool, schema }).lock(ex('/a'))).granted).toBe(true);
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });
});
