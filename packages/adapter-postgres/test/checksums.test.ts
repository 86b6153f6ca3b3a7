/**
 * Checksums in PostgreSQL (schema step 4: `sha1`, `md5`, `sha256` columns
 * of `members`): a version 6 schema is upgraded in place, its files keep
 * no checksums (NULL, reported absent) until they are written again, and a
 * listing selects the columns only when asked. The contract itself is the
 * conformance kit's `checksums` suite (conformance.test.ts).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { checksummedWrite, listInBatches, type Entry } from '@davsync/core';
import { bodyOf } from '@davsync/core/testing';
import { migrate, PostgresAdapter, SCHEMA_VERSION } from '../src/index';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

async function listed(adapter: PostgresAdapter, checksums: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const batch of listInBatches(adapter, '/', 64, { checksums })) out.push(...batch);
  return out;
}

describe('PostgreSQL checksums', () => {
  it('upgrades a version 6 schema: old files have none until rewritten, new writes store them', async () => {
    const schema = await freshSchema();
    const pool = await newPool(2);
    try {
      await pool.query(`ALTER TABLE "${schema}".members DROP COLUMN sha1, DROP COLUMN md5, DROP COLUMN sha256`);
      await pool.query(`UPDATE "${schema}".schema_version SET version = 6`);
      // A file written by a version 6 davsync (no checksum columns then).
      await pool.query(`INSERT INTO "${schema}".members (path, parent, collection, etag, size) VALUES ('/old.txt', '/', false, 'e-old', 0)`);
      await migrate(pool, schema);
      expect((await pool.query(`SELECT version FROM "${schema}".schema_version`)).rows).toEqual([{ version: SCHEMA_VERSION }]);
      const adapter = new PostgresAdapter({ pool, schema });
      expect((await adapter.stat('/old.txt'))?.checksums).toBeUndefined();
      const { body, options } = checksummedWrite('/new.txt', bodyOf('new'), {}, { compute: true });
      await adapter.write('/new.txt', body, options);
      expect((await adapter.stat('/new.txt'))?.checksums?.sha1).toBe(sha1('new'));
      const asked = await listed(adapter, true);
      expect(asked.find((e) => e.path === '/new.txt')?.checksums?.sha1).toBe(sha1('new'));
      expect(asked.find((e) => e.path === '/old.txt')?.checksums).toBeUndefined();
      // Not asked: not selected.
      expect((await listed(adapter, false)).every((e) => e.checksums === undefined)).toBe(true);
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });
});
