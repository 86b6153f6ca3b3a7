/**
 * PostgresUploadStore: the upload-store conformance suite on a real server,
 * reopened as another instance on its own pool; and one appender across
 * two instances.
 */
import { expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { UploadStore } from '@davsync/core';
import { chunked, defineUploadStoreSuite, expectDavError, pausedBody } from '@davsync/core/testing';
import { PostgresUploadStore } from '../src/index';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

const made = new Map<UploadStore, { pools: Pool[]; schema: string }>();

defineUploadStoreSuite({
  name: 'PostgresUploadStore',
  create: async () => {
    const schema = await freshSchema();
    const pool = await newPool(3);
    const store = new PostgresUploadStore({ pool, schema });
    made.set(store, { pools: [pool], schema });
    return store;
  },
  reopen: async (store) => {
    const m = made.get(store)!;
    const pool = await newPool(3);
    const again = new PostgresUploadStore({ pool, schema: m.schema });
    made.set(again, { pools: [...m.pools, pool], schema: m.schema });
    made.delete(store);
    return again;
  },
  cleanup: async (store) => {
    const m = made.get(store);
    if (m === undefined) return;
    for (const pool of m.pools) await endPool(pool);
    await dropSchema(m.schema);
    made.delete(store);
  },
});

it('a second appender on another instance is busy while the first runs', async () => {
  const schema = await freshSchema();
  const pools = [await newPool(2), await newPool(2)];
  try {
    const [one, two] = pools.map((pool) => new PostgresUploadStore({ pool, schema })) as [PostgresUploadStore, PostgresUploadStore];
    await one.create({ id: 'u'.repeat(32), target: '/a' });
    const paused = pausedBody(Buffer.from('first'), Buffer.from('-rest'));
    const first = one.append('u'.repeat(32), 0, paused.body);
    await paused.paused;
    await expectDavError('busy', () => two.append('u'.repeat(32), 0, chunked(Buffer.from('second'), 6)));
    paused.resume();
    expect((await first).offset).toBe(10);
    expect((await two.get('u'.repeat(32)))?.offset).toBe(10);
  } finally {
    for (const pool of pools) await endPool(pool);
    await dropSchema(schema);
  }
});
