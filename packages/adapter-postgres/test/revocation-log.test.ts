/**
 * `postgres-revocation-log.ts` on its own: batches of (user, path) pairs,
 * the latest revision kept, each schema its own log.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { PostgresRevocationLog } from '../src/postgres-revocation-log';
import { freshSchema, newPool } from './support/postgres';

let pool: Pool;
let schema: string;
let other: string;
beforeAll(async () => {
  pool = await newPool(2);
  schema = await freshSchema();
  other = await freshSchema();
});
// The support's afterAll drops the file's database (schemas included) and ends its pools.

describe('PostgresRevocationLog', () => {
  it('knows nothing at first', async () => {
    const log = new PostgresRevocationLog({ pool, schema });
    expect(await log.revokedAt('ann', '/a')).toBeUndefined();
  });

  it('records every user × path pair of a batch at its revision', async () => {
    const log = new PostgresRevocationLog({ pool, schema });
    await log.record(['ann', 'bob'], ['/x', '/y/z'], 7);
    for (const user of ['ann', 'bob']) for (const path of ['/x', '/y/z']) expect([user, path, await log.revokedAt(user, path)]).toEqual([user, path, 7]);
    expect(await log.revokedAt('cat', '/x')).toBeUndefined();
    expect(await log.revokedAt('ann', '/y')).toBeUndefined();
  });

  it('keeps the latest revision: an older record does not lower it, a newer one raises it', async () => {
    const log = new PostgresRevocationLog({ pool, schema });
    await log.record(['dan'], ['/p'], 10);
    await log.record(['dan'], ['/p'], 4);
    expect(await log.revokedAt('dan', '/p')).toBe(10);
    await log.record(['dan'], ['/p'], 12);
    expect(await log.revokedAt('dan', '/p')).toBe(12);
  });

  it('an empty batch records nothing; names with quotes and non-ASCII are kept exactly', async () => {
    const log = new PostgresRevocationLog({ pool, schema });
    await log.record([], ['/q'], 1);
    await log.record(['eve'], [], 1);
    expect(await log.revokedAt('eve', '/q')).toBeUndefined();
    await log.record(["o'brien"], ['/Grüße/"a"'], 3);
    expect(await log.revokedAt("o'brien", '/Grüße/"a"')).toBe(3);
    expect(await log.revokedAt("o'brien", '/Grüsse/"a"')).toBeUndefined();
  });

  it('each schema is its own log; a second instance on the same schema sees the first one\'s records', async () => {
    await new PostgresRevocationLog({ pool, schema }).record(['fay'], ['/s'], 5);
    expect(await new PostgresRevocationLog({ pool, schema }).revokedAt('fay', '/s')).toBe(5);
    expect(await new PostgresRevocationLog({ pool, schema: other }).revokedAt('fay', '/s')).toBeUndefined();
  });

  it('refuses a schema name that would need quoting', () => {
    expect(() => new PostgresRevocationLog({ pool, schema: 'Bad"Name' })).toThrow(TypeError);
  });
});
