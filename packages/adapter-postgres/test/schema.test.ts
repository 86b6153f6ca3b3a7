/**
 * `schema.ts`'s migrations step by step: a schema left at any older
 * version, upgraded, has exactly the tables, columns, indexes, constraints,
 * functions and triggers of a fresh one; migrating again changes nothing;
 * the version row follows. (Data carried across steps 4 and 6 is tested in
 * postgres-adapter.test.ts and checksums.test.ts.)
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { migrate, SCHEMA_VERSION } from '../src/index';
import { migrateTo } from '../src/schema';
import { newPool } from './support/postgres';

let pool: Pool;
let names = 0;
beforeAll(async () => {
  pool = await newPool(2);
});
// The support's afterAll drops the file's database (schemas included) and ends its pools.

const newName = (): string => `mig${process.pid}_${names++}`;

/** Everything the schema defines, with its own name replaced so two schemas compare. */
async function catalog(schema: string): Promise<Record<string, string[]>> {
  const rows = async (text: string): Promise<string[]> =>
    (await pool.query<{ d: string }>(text, [schema])).rows.map((r) => r.d.split(`"${schema}"`).join('S').split(`${schema}.`).join('S.')).sort();
  return {
    columns: await rows(
      `SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, coalesce(column_default, '')) AS d
         FROM information_schema.columns WHERE table_schema = $1`,
    ),
    indexes: await rows(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = $1`),
    constraints: await rows(
      `SELECT concat_ws(' ', c.relname, con.conname, pg_get_constraintdef(con.oid)) AS d
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
    ),
    functions: await rows(`SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`),
    triggers: await rows(
      `SELECT pg_get_triggerdef(t.oid) AS d FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND NOT t.tgisinternal`,
    ),
  };
}

const versionOf = async (schema: string): Promise<number[]> => (await pool.query<{ version: number }>(`SELECT version FROM "${schema}".schema_version`)).rows.map((r) => r.version);

describe('migrations', () => {
  let fresh: Record<string, string[]>;
  beforeAll(async () => {
    const name = newName();
    await migrate(pool, name);
    fresh = await catalog(name);
  });

  it(`a fresh schema is at version ${SCHEMA_VERSION}, with the journal's tables`, async () => {
    const name = newName();
    await migrate(pool, name);
    expect(await versionOf(name)).toEqual([SCHEMA_VERSION]);
    const tables = new Set(fresh['columns']!.map((c) => c.split(' ')[0]));
    for (const table of ['clock', 'members', 'entries', 'locks', 'uploads', 'revocations']) expect([table, tables.has(table)]).toEqual([table, true]);
    // The comparison below is only as good as what it compares: every kind of object is there.
    for (const [kind, defs] of Object.entries(fresh)) expect([kind, defs.length > 0]).toEqual([kind, true]);
  });

  it.each(Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 1))('a version %i schema upgrades to exactly the fresh one', async (version) => {
    const name = newName();
    await migrateTo(pool, name, version);
    expect(await versionOf(name)).toEqual([version]);
    expect(await catalog(name)).not.toEqual(fresh);
    await migrate(pool, name);
    expect(await versionOf(name)).toEqual([SCHEMA_VERSION]);
    expect(await catalog(name)).toEqual(fresh);
  });

  it('migrating an up-to-date schema again changes nothing and keeps its rows', async () => {
    const name = newName();
    await migrate(pool, name);
    await pool.query(`INSERT INTO "${name}".revocations ("user", path, revision) VALUES ('ann', '/a', 3)`);
    await migrate(pool, name);
    await migrate(pool, name);
    expect(await versionOf(name)).toEqual([SCHEMA_VERSION]);
    expect(await catalog(name)).toEqual(fresh);
    expect((await pool.query(`SELECT "user", path, revision::int FROM "${name}".revocations`)).rows).toEqual([{ user: 'ann', path: '/a', revision: 3 }]);
  });

  it('migrateTo refuses a version that does not exist', async () => {
    await expect(migrateTo(pool, newName(), 0)).rejects.toThrow(RangeError);
    await expect(migrateTo(pool, newName(), SCHEMA_VERSION + 1)).rejects.toThrow(RangeError);
  });
});
