/**
 * PostgresPushRegistrationStore: the push-registration-store conformance
 * suite on a real server, and what sharing the database means: a
 * registration made through one instance is found, updated and removed
 * through another, and the cap holds across instances registering at once.
 * A version 5 schema gains the table.
 */
import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { PushRegistrationRequest, PushRegistrationStore } from '@davsync/core';
import { definePushRegistrationStoreSuite } from '@davsync/core/testing';
import { migrate, PostgresPushRegistrationStore, SCHEMA_VERSION } from '../src/index';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

const made = new WeakMap<PushRegistrationStore, { pool: Pool; schema: string }>();

definePushRegistrationStoreSuite({
  name: 'PostgresPushRegistrationStore',
  create: async (options) => {
    const schema = await freshSchema();
    const pool = await newPool(3);
    const store = new PostgresPushRegistrationStore({ ...options, pool, schema });
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

const request = (name: string): PushRegistrationRequest => ({
  collection: '/cal',
  user: 'ann',
  subscription: { pushResource: `https://push.example/${name}`, publicKey: 'k', authSecret: 'a' },
  trigger: { contentUpdate: 1 },
  expires: Date.now() + 60_000,
});

describe('PostgresPushRegistrationStore across instances', () => {
  it('one instance\'s registration is found, updated and removed through another; the cap holds for both', async () => {
    const schema = await freshSchema();
    const pools = [await newPool(4), await newPool(4)] as const;
    try {
      const [one, two] = pools.map((pool) => new PostgresPushRegistrationStore({ pool, schema, maxRegistrations: 5 })) as [PostgresPushRegistrationStore, PostgresPushRegistrationStore];
      const { registration } = await one.register(request('a'));
      expect((await two.atCollections(['/', '/cal'])).map((r) => r.id)).toEqual([registration.id]);
      const again = await two.register({ ...request('a'), user: 'ann' });
      expect([again.created, again.registration.id]).toEqual([false, registration.id]);
      // Ten registrations at once through both instances: exactly the cap's worth are made.
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).register(request(`n${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      expect(await one.count()).toBe(5);
      expect(await two.remove(registration.id)).toBe(true);
      expect(await one.get(registration.id)).toBeUndefined();
    } finally {
      for (const p of pools) await endPool(p);
      await dropSchema(schema);
    }
  });

  it('upgrades a version 5 schema by adding the table', async () => {
    const schema = await freshSchema();
    const pool = await newPool(1);
    try {
      await pool.query(`DROP TABLE "${schema}".push_registrations`);
      await pool.query(`UPDATE "${schema}".schema_version SET version = 5`);
      await migrate(pool, schema);
      expect((await pool.query(`SELECT version FROM "${schema}".schema_version`)).rows).toEqual([{ version: SCHEMA_VERSION }]);
      expect(await new PostgresPushRegistrationStore({ pool, schema }).count()).toBe(0);
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });
});
