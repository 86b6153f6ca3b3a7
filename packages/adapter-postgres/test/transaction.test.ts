/**
 * `transaction.ts`: one transaction per piece of work, all or nothing; a
 * connection that broke is discarded, a good one reused; driver failures
 * mapped as `pg-errors.ts` says. On the file's throwaway database.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { DavError } from '@davsync/core';
import { expectDavError } from '@davsync/core/testing';
import { connect, inTransaction, query, release } from '../src/transaction';
import { endPool, newPool } from './support/postgres';

let pool: Pool;
beforeAll(async () => {
  pool = await newPool(2);
  await pool.query('CREATE TABLE IF NOT EXISTS tx_test (id integer PRIMARY KEY, note text)');
});
// The support's afterAll drops the file's database and ends its pools.

const ids = async (): Promise<number[]> => (await pool.query<{ id: number }>('SELECT id FROM tx_test ORDER BY id')).rows.map((r) => r.id);
const pids = async (p: Pool): Promise<number> => (await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

describe('inTransaction', () => {
  it('commits the work and returns its result', async () => {
    const result = await inTransaction(pool, 'inserting', async (client) => {
      await client.query('INSERT INTO tx_test (id) VALUES (1), (2)');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls everything back when the work throws, and rethrows a DavError unchanged', async () => {
    const refusal = new DavError('conflict', 'no');
    await expect(
      inTransaction(pool, 'inserting', async (client) => {
        await client.query('INSERT INTO tx_test (id) VALUES (3)');
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await ids()).toEqual([1, 2]);
  });

  it('maps a serialization failure or deadlock to unavailable (503), having rolled back', async () => {
    for (const code of ['40001', '40P01']) {
      await expectDavError('unavailable', () =>
        inTransaction(pool, 'inserting', async (client) => {
          await client.query('INSERT INTO tx_test (id) VALUES (4)');
          await client.query(`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '${code}'; END $$`);
        }),
      );
    }
    expect(await ids()).toEqual([1, 2]);
  });

  it('passes a bug (a unique violation) on unmapped, having rolled back, and reuses the connection', async () => {
    const before = pool.totalCount;
    const err = await inTransaction(pool, 'inserting', async (client) => {
      await client.query('INSERT INTO tx_test (id) VALUES (5)');
      await client.query('INSERT INTO tx_test (id) VALUES (1)');
    }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DavError);
    expect((err as { code?: string }).code).toBe('23505');
    expect(await ids()).toEqual([1, 2]);
    expect(pool.totalCount).toBe(before);
  });

  it('discards a connection the server ended mid-transaction (unavailable), and the pool goes on with a new one', async () => {
    const victim = await inTransaction(pool, 'reading', async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    let killedPid: number | undefined;
    await expectDavError('unavailable', () =>
      inTransaction(pool, 'inserting', async (client) => {
        killedPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await client.query('INSERT INTO tx_test (id) VALUES (6)');
        // Ends this very connection, as a server restart or pg_terminate_backend would.
        await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    );
    expect(killedPid).toBeDefined();
    expect(await ids()).toEqual([1, 2]);
    // No later caller is handed the dead connection.
    for (let i = 0; i < 4; i++) expect(await pids(pool)).not.toBe(killedPid);
    expect(typeof victim).toBe('number');
  });
});

describe('query and connect', () => {
  it('query returns the rows, and maps a failure as databaseError does', async () => {
    expect(await query<{ n: number }>(pool, 'counting', { text: 'SELECT 1 + 1 AS n' })).toEqual([{ n: 2 }]);
    await expectDavError('unavailable', () => query(pool, 'failing', { text: "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '57014'; END $$" }));
  });

  it('connect on an ended pool is unavailable; release hands a good connection back', async () => {
    const p = await newPool(1);
    const client = await connect(p, 'connecting');
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    release(client, false);
    expect(await pids(p)).toBe(pid);
    await endPool(p);
    await expectDavError('unavailable', () => connect(p, 'connecting'));
  });
});
