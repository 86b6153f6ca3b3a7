/**
 * What the conformance kits cannot see: a mutation and its journal entries
 * commit together (a failure leaves neither), bodies are chunked and
 * reference-counted by the members that use them, the schema migrates
 * once however many instances start together, and a database that is
 * gone or goes away mid-request is reported as `unavailable`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Pool } from 'pg';
import { SyncEngine } from '@davsync/core';
import { bodyOf, expectDavError, failingBody, patternBytes, pausedBody, readAll } from '@davsync/core/testing';
import { CHUNK_SIZE, migrate, openPostgresStore, PostgresAdapter, SCHEMA_VERSION } from '../src/index';
import { database, dropSchema, endPool, freshAdapter, freshSchema, newPool, releaseAdapter } from './support/postgres';

/** Row counts of the tables a write touches. */
async function counts(adapter: PostgresAdapter, schema: string): Promise<Record<string, number>> {
  const { pool } = await database();
  const out: Record<string, number> = {};
  for (const table of ['members', 'chunks', 'entries', 'scopes']) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${table}`);
    out[table] = Number(rows[0]?.n);
  }
  out['head'] = (await adapter.journal.collection('/'))?.currentRevision ?? -1;
  return out;
}

/** An adapter with a known schema name, released at the end of `body`. */
async function withAdapter(body: (adapter: PostgresAdapter, schema: string) => Promise<void>, options = {}): Promise<void> {
  const schema = await freshSchema();
  const pool = await newPool();
  const adapter = new PostgresAdapter({ pool, schema, ...options });
  try {
    await body(adapter, schema);
  } finally {
    await endPool(pool);
    await dropSchema(schema);
  }
}

describe('one transaction per mutation', () => {
  it('records nothing, and keeps no chunk, when a body fails midway', async () => {
    await withAdapter(async (adapter, schema) => {
      await adapter.write('/f.bin', bodyOf(patternBytes(CHUNK_SIZE + 10, 1)));
      const before = await counts(adapter, schema);
      const big = patternBytes(3 * CHUNK_SIZE, 2);
      // Two whole chunks reach the database before the body fails.
      await expect(adapter.write('/f.bin', failingBody(new Error('cut off'), big.subarray(0, 2 * CHUNK_SIZE + 5)))).rejects.toThrow('cut off');
      await expect(adapter.write('/new.bin', failingBody(new Error('cut off'), big))).rejects.toThrow('cut off');
      expect(await counts(adapter, schema)).toEqual(before);
      expect(before).toMatchObject({ members: 2, chunks: 2, entries: 1, head: 1 });
    });
  });

  it('records nothing when a check fails under the lock', async () => {
    await withAdapter(async (adapter, schema) => {
      const first = await adapter.write('/f.txt', bodyOf('v1'));
      const before = await counts(adapter, schema);
      await expectDavError('precondition-failed', () => adapter.write('/f.txt', bodyOf('v2'), { expectedEtag: 'other' }));
      await expectDavError('conflict', () => adapter.mkcol('/no/parent'));
      await expectDavError('precondition-failed', () => adapter.copy('/f.txt', '/f.txt2', { overwrite: true }).then(() => adapter.copy('/f.txt', '/f.txt2', { overwrite: false })));
      await adapter.remove('/f.txt2');
      expect((await adapter.stat('/f.txt'))?.etag).toBe(first.etag);
      const after = await counts(adapter, schema);
      // Only the copy and its removal were recorded (two revisions, one tombstone entry).
      expect(after).toEqual({ ...before, entries: before['entries']! + 1, scopes: before['scopes']! + 1, head: before['head']! + 2 });
    });
  });

  it('journals its own mutations: they show up in deltas, and refresh finds nothing more', async () => {
    const adapter = await freshAdapter();
    const engine = new SyncEngine({ adapter, journal: adapter.journal });
    try {
      const { token } = await engine.changes('/', null, { level: 'infinite' });
      await adapter.write('/a.txt', bodyOf('a'));
      await adapter.mkcol('/c');
      await adapter.write('/c/x.txt', bodyOf('x'));
      await adapter.properties.patch('/c', { '{urn:x}p': 'v' }, []);
      await adapter.copy('/c', '/d');
      await adapter.move('/a.txt', '/d/a.txt');
      await adapter.remove('/c');
      const delta = await engine.changes('/', token, { level: 'infinite' });
      expect(delta.changes.map((c) => `${c.type} ${c.path}`).sort()).toEqual([
        'changed /d',
        'changed /d/a.txt',
        'changed /d/x.txt',
        'removed /a.txt',
        'removed /c',
      ]);
      const etags = Object.fromEntries(delta.changes.map((c) => [c.path, c.type === 'changed' ? c.etag : '']));
      expect(etags['/d/a.txt']).toBe((await adapter.stat('/d/a.txt'))?.etag);
      expect(await engine.refresh()).toBe(0);
    } finally {
      await releaseAdapter(adapter);
    }
  });

  it('refuses to be given a second journal, or none', async () => {
    const adapter = await freshAdapter();
    try {
      expect(adapter.recordsChangesIn).toBe(adapter.journal);
      expect(() => new SyncEngine({ adapter, journal: new (require('@davsync/core').MemoryJournal)() })).toThrow(/keeps its own journal/);
      expect(() => new SyncEngine({ adapter })).toThrow(/keeps its own journal/);
    } finally {
      await releaseAdapter(adapter);
    }
  });
});

describe('bodies', () => {
  it('splits a body into chunks and deletes them with the last member that uses them', async () => {
    await withAdapter(async (adapter, schema) => {
      const data = patternBytes(2 * CHUNK_SIZE + 1, 3);
      await adapter.write('/a.bin', bodyOf(data));
      expect((await counts(adapter, schema))['chunks']).toBe(3);
      await adapter.copy('/a.bin', '/b.bin'); // shares the blob
      expect((await counts(adapter, schema))['chunks']).toBe(3);
      await adapter.write('/a.bin', bodyOf('small')); // a's new body: one chunk; b keeps the old three
      expect((await counts(adapter, schema))['chunks']).toBe(4);
      expect((await readAll(await adapter.read('/b.bin'))).equals(data)).toBe(true);
      await adapter.remove('/b.bin');
      expect((await counts(adapter, schema))['chunks']).toBe(1);
      await adapter.mkcol('/d');
      await adapter.write('/d/x', bodyOf(data));
      await adapter.copy('/d', '/e');
      await adapter.move('/a.bin', '/e/x'); // replaces the copy of x: x's blob is still used by /d/x
      expect((await counts(adapter, schema))['chunks']).toBe(4);
      await adapter.remove('/d');
      expect((await counts(adapter, schema))['chunks']).toBe(1);
      expect(await readAll(await adapter.read('/e/x'))).toEqual(Buffer.from('small'));
    });
  });

  it('reads ranges that start, end and stay inside chunk boundaries', async () => {
    await withAdapter(async (adapter) => {
      const data = patternBytes(3 * CHUNK_SIZE + 7, 4);
      await adapter.write('/f', bodyOf(data));
      for (const [start, end] of [
        [0, CHUNK_SIZE - 1],
        [CHUNK_SIZE - 1, CHUNK_SIZE],
        [CHUNK_SIZE, 2 * CHUNK_SIZE - 1],
        [5, 3 * CHUNK_SIZE + 6],
        [3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 6],
      ] as const) {
        expect((await readAll(await adapter.read('/f', { start, end }))).equals(data.subarray(start, end + 1))).toBe(true);
      }
    });
  });

  it('returns its connection when a multi-chunk read is abandoned', async () => {
    const schema = await freshSchema();
    const pool = await newPool(2);
    const adapter = new PostgresAdapter({ pool, schema });
    try {
      await adapter.write('/f', bodyOf(patternBytes(3 * CHUNK_SIZE, 5)));
      for (let i = 0; i < 5; i++) {
        const stream = (await adapter.read('/f')) as NodeJS.ReadableStream & { destroy(): void };
        const it = stream[Symbol.asyncIterator]();
        await it.next();
        await it.return?.();
      }
      // With a pool of two, five leaked connections would hang this.
      expect((await adapter.stat('/f'))?.size).toBe(3 * CHUNK_SIZE);
      for (let i = 0; i < 100 && pool.totalCount - pool.idleCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(pool.totalCount - pool.idleCount).toBe(0);
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });

  it('refuses a body over maxBodyBytes with payload-too-large, storing nothing', async () => {
    await withAdapter(
      async (adapter, schema) => {
        const before = await counts(adapter, schema);
        await expectDavError('payload-too-large', () => adapter.write('/big', bodyOf(patternBytes(CHUNK_SIZE + 2, 6))));
        expect(await counts(adapter, schema)).toEqual(before);
        await adapter.write('/ok', bodyOf(patternBytes(CHUNK_SIZE + 1, 6)));
      },
      { maxBodyBytes: CHUNK_SIZE + 1 },
    );
  });
});

describe('read-access revocations', () => {
  it('are shared by every instance on the database, and kept across restarts', async () => {
    const schema = await freshSchema();
    const pool = await newPool();
    try {
      const a = await openPostgresStore({ pool, schema });
      await a.engine.write('/a.txt', bodyOf('a'));
      const token = (await a.engine.changes('/', null, { level: 1 })).token;
      expect(await a.engine.revokeAccess(['bob', 'carol'], ['/a.txt'])).toBe(1);
      const revision = await a.engine.revocations.revokedAt('bob', '/a.txt');
      expect(revision).toEqual(expect.any(Number));
      await a.close();
      // Another instance (a new store object on the same schema) sees them.
      const b = await openPostgresStore({ pool, schema });
      expect(await b.engine.revocations.revokedAt('bob', '/a.txt')).toBe(revision);
      expect(await b.engine.revocations.revokedAt('carol', '/a.txt')).toBe(revision);
      expect(await b.engine.revocations.revokedAt('alice', '/a.txt')).toBeUndefined();
      expect((await b.engine.changes('/', token, { level: 1 })).changes.map((c) => `${c.type} ${c.path}`)).toEqual(['changed /a.txt']);
      await b.close();
    } finally {
      await endPool(pool);
      await dropSchema(schema);
    }
  });
});

describe('schema', () => {
  it('is created once when many instances start together on an empty database', async () => {
    const { url } = await database();
    const schema = `race_${process.pid}`;
    const pools = Array.from({ length: 6 }, () => new Pool({ connectionString: url, max: 1 }));
    try {
      await Promise.all(pools.map((p) => migrate(p, schema)));
      const { rows } = await (pools[0] as Pool).query(`SELECT version FROM "${schema}".schema_version`);
      expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
      const root = await new PostgresAdapter({ pool: pools[0] as Pool, schema }).stat('/');
      expect(root).toMatchObject({ path: '/', collection: true });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await dropSchema(schema);
    }
  });

  it('upgrades a version 4 schema by giving every existing member a file ID of its own', async () => {
    await withAdapter(async (adapter, schema) => {
      const { pool } = await database();
      await adapter.mkcol('/d');
      await adapter.write('/d/a.txt', bodyOf('a'));
      await pool.query(`ALTER TABLE "${schema}".members DROP COLUMN file_id`);
      await pool.query(`DROP TABLE "${schema}".push_registrations`);
      await pool.query(`UPDATE "${schema}".schema_version SET version = 4`);
      await migrate(pool, schema);
      const ids = await Promise.all(['/', '/d', '/d/a.txt'].map(async (p) => (await adapter.stat(p))?.fileId));
      expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
      expect(new Set(ids).size).toBe(3);
      await adapter.write('/d/b.txt', bodyOf('b'));
      expect(ids).not.toContain((await adapter.stat('/d/b.txt'))?.fileId);
    });
  });

  it('refuses a schema written by a newer davsync, with a clear error', async () => {
    const schema = await freshSchema();
    const { pool } = await database();
    try {
      await pool.query(`UPDATE "${schema}".schema_version SET version = $1`, [SCHEMA_VERSION + 1]);
      const error = await migrate(pool, schema).catch((err: unknown) => err);
      expect(error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining(`version ${SCHEMA_VERSION + 1}, newer than the ${SCHEMA_VERSION}`),
      });
    } finally {
      await dropSchema(schema);
    }
  });

  it('refuses schema names that would need quoting', async () => {
    const { pool } = await database();
    await expect(migrate(pool, 'Bad"name')).rejects.toThrow(/schema name/);
  });
});

describe('an unreachable database', () => {
  it('fails opening the store, and every operation, with unavailable', async () => {
    const nowhere = mkdtempSync(join(tmpdir(), 'davsync-nopg-'));
    try {
      const url = `postgresql://davsync@localhost/none?host=${encodeURIComponent(nowhere)}`;
      await expectDavError('unavailable', () => openPostgresStore({ connectionString: url }));
      const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 2000 });
      const adapter = new PostgresAdapter({ pool, schema: 'davsync' });
      try {
        await expectDavError('unavailable', () => adapter.stat('/'));
        await expectDavError('unavailable', () => adapter.write('/f', bodyOf('x')));
        await expectDavError('unavailable', () => adapter.mkcol('/d'));
        await expectDavError('unavailable', () => adapter.read('/f'));
        await expectDavError('unavailable', () => adapter.journal.collection('/'));
        await expectDavError('unavailable', async () => {
          for await (const _ of adapter.list('/')) void _;
        });
      } finally {
        await pool.end();
      }
    } finally {
      rmSync(nowhere, { recursive: true, force: true });
    }
  });

  it('fails a write whose connection is killed mid-body with unavailable, keeping the old content and journal', async () => {
    await withAdapter(async (adapter, schema) => {
      const old = await adapter.write('/f.bin', bodyOf('old content'));
      const before = await counts(adapter, schema);
      const paused = pausedBody(patternBytes(CHUNK_SIZE + 3, 7), Buffer.from('rest'));
      const writing = adapter.write('/f.bin', paused.body);
      writing.catch(() => undefined);
      await paused.paused;
      // As a database restart or a network cut would: the server ends the writer's session.
      const { pool } = await database();
      const killed = await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
      );
      expect(killed.rowCount).toBe(1);
      paused.resume();
      await expectDavError('unavailable', () => writing);
      expect((await adapter.stat('/f.bin'))?.etag).toBe(old.etag);
      expect(await counts(adapter, schema)).toEqual(before);
      // The pool replaced the dead connection.
      await adapter.write('/f.bin', bodyOf('new content'));
      expect(await readAll(await adapter.read('/f.bin'))).toEqual(Buffer.from('new content'));
    });
  });
});
