/**
 * SqliteJournal: the journal conformance suite (including the differential
 * test against MemoryJournal), what only a durable store promises (state
 * survives close, reopen and kill -9; schema versions), and the whole sync
 * engine's model test running over it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { JournalWriterThread, SqliteJournal, STATE_DB_VERSION, openStateDb } from '@davsync/adapter-fs';
import { ROOT, SyncEngine, type JournalEntry, type JournalStore, type SyncLevel } from '@davsync/core';
import { defineJournalSuite, defineSyncModelSuite, expectDavError } from '@davsync/core/testing';

// Made on first use, so a run that filters out every test leaves nothing behind.
let workDir: string | undefined;
const work = (): string => (workDir ??= mkdtempSync(join(tmpdir(), 'davsync-journal-')));
afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

let counter = 0;
/** A state-database path in a directory of its own (which openStateDb creates). */
const newDbFile = (): string => join(work(), `db${counter++}`, 'state.db');

const files = new WeakMap<JournalStore, string>();
/** Deletes the directory of a journal made by `openJournal` or `openThreadedJournal`. */
const removeJournalFile = (store: JournalStore): void => {
  const file = files.get(store);
  if (file !== undefined) rmSync(dirname(file), { recursive: true, force: true });
};
function openJournal(now?: () => number): SqliteJournal {
  const file = newDbFile();
  const journal = SqliteJournal.open(file, now === undefined ? {} : { now });
  files.set(journal, file);
  return journal;
}

defineJournalSuite({
  name: 'SqliteJournal',
  create: ({ now }) => openJournal(now),
  cleanup: removeJournalFile,
});

/** A journal whose writes run on a writer thread, as the fs store opens it. */
async function openThreadedJournal(now?: () => number): Promise<SqliteJournal> {
  const file = newDbFile();
  const db = openStateDb(file);
  const writes = await JournalWriterThread.start(file, now === undefined ? {} : { now });
  const journal = new SqliteJournal(db, { writes });
  files.set(journal, file);
  return journal;
}

defineJournalSuite({
  name: 'SqliteJournal with a writer thread',
  create: ({ now }) => openThreadedJournal(now),
  cleanup: removeJournalFile,
  runs: Number(process.env['DAVSYNC_JOURNAL_RUNS']) || 40,
});

describe('the writer thread', () => {
  it('commits concurrent change lists in order, each all or nothing, visible on the reading connection once resolved', async () => {
    const journal = await openThreadedJournal();
    try {
      const lists = Array.from({ length: 20 }, (_, i) =>
        i === 7
          ? [{ path: '/ok-before-bad', removed: false, collection: false, etag: 'x' }, { path: 'not a path', removed: false, collection: false }]
          : [{ path: `/f${i}`, removed: false, collection: false, etag: `e${i}` }],
      );
      const results = await Promise.allSettled(lists.map((l) => journal.commit(l)));
      const revisions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      // 19 lists of one change each: revisions 1..19, in the order they were sent.
      expect(revisions).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
      expect(results[7]).toMatchObject({ status: 'rejected', reason: { code: 'bad-request' } });
      // The refused list left nothing, not even its valid first change.
      expect(await journal.get('/ok-before-bad')).toBeUndefined();
      expect((await journal.get('/f19'))?.revision).toBe(19);
      expect((await journal.collection('/'))?.currentRevision).toBe(19);
    } finally {
      await journal.close();
    }
  });

  it('answers unavailable once closed, and closing twice is harmless', async () => {
    const journal = await openThreadedJournal();
    await journal.close();
    await journal.close();
    await expectDavError('unavailable', () => journal.commit([{ path: '/x', removed: false, collection: false, etag: 'e' }]));
  });

  it('fails to start, as openStateDb would, on a file that is not a database', async () => {
    const file = newDbFile();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'not a database, just text that is long enough to look like a header'.repeat(20));
    await expectDavError('unavailable', () => JournalWriterThread.start(file));
  });
});

async function scanAll(j: JournalStore, c: string, level: SyncLevel, after = 0): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for await (const batch of j.scan(c, level, after, Number.MAX_SAFE_INTEGER)) out.push(...batch);
  return out;
}

const put = (path: string, etag = 'e') => ({ path, removed: false, collection: false, etag });
const mk = (path: string) => ({ path, removed: false, collection: true, etag: 'd' });
const del = (path: string, collection = false) => ({ path, removed: true, collection });

/** Everything observable about a few paths, incarnations included (they must survive too). */
async function state(j: JournalStore, paths: readonly string[]): Promise<unknown> {
  const out: Record<string, unknown> = { tombstones: await j.tombstoneCount() };
  for (const p of [ROOT, ...paths]) {
    out[p] = {
      entry: await j.get(p),
      collection: await j.collection(p),
      direct: await scanAll(j, p, 1),
      deep: await scanAll(j, p, 'infinite'),
    };
  }
  return out;
}

describe('SqliteJournal durability', () => {
  it('keeps entries, head, incarnations, horizons and tombstone ages across close and reopen', async () => {
    const file = newDbFile();
    let now = 1000;
    const first = SqliteJournal.open(file, { now: () => now });
    await first.commit([mk('/c'), mk('/c/d'), put('/c/d/x'), put('/c/y'), put('/z')]);
    await first.commit([del('/c/y'), del('/z')]); // revisions 6, 7
    now = 9000;
    await first.commit([put('/c/d/x', 'x2'), del('/c/d/x')]); // revisions 8, 9
    expect(await first.prune({ maxTombstones: 2 })).toBe(1); // drops /c/y: horizons of /c and /
    const paths = ['/c', '/c/d', '/c/d/x', '/c/y', '/z'];
    const before = await state(first, paths);
    await first.close();

    now = 10_000;
    const second = SqliteJournal.open(file, { now: () => now });
    try {
      expect(await state(second, paths)).toEqual(before);
      expect((await second.collection('/c'))?.horizon).toEqual({ direct: 6, deep: 6 });
      // Revisions continue after the head, never reusing one.
      expect(await second.commit([put('/c/new')])).toBe(10);
      // The tombstone ages came back too: /z (removed at 1000) goes, /c/d/x (9000) stays.
      expect(await second.prune({ removedBefore: 5000 })).toBe(1);
      expect(await second.get('/z')).toBeUndefined();
      expect((await second.get('/c/d/x'))?.removed).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('keeps every acknowledged commit when the process is killed without closing', async () => {
    // The child runs the built package (tsc -b runs before jest) and kills
    // itself with SIGKILL right after its last commit resolved: no close, no
    // checkpoint, only the WAL on disk.
    const dist = resolve(__dirname, '..', '..', 'dist', 'index.js');
    expect(existsSync(dist)).toBe(true);
    const file = newDbFile();
    const child = `
      const { SqliteJournal } = require(${JSON.stringify(dist)});
      (async () => {
        const j = SqliteJournal.open(${JSON.stringify(file)});
        await j.commit([{ path: '/c', removed: false, collection: true, etag: 'd' }]);
        for (let i = 0; i < 50; i++) await j.commit([{ path: '/c/m' + i, removed: false, collection: false, etag: 'e' + i }]);
        await j.commit([{ path: '/c/m0', removed: true, collection: false }]);
        process.stdout.write(JSON.stringify(await j.collection('/c')));
        process.kill(process.pid, 'SIGKILL');
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 20_000 });
    if (run.signal !== 'SIGKILL') throw new Error(`the child did not die by SIGKILL (${run.signal ?? run.status}): ${run.stderr}`);
    expect(existsSync(`${file}-wal`)).toBe(true); // nothing was checkpointed away on close
    const acknowledged = JSON.parse(run.stdout) as unknown;
    const j = SqliteJournal.open(file);
    try {
      expect(await j.collection('/c')).toEqual(acknowledged);
      expect((await scanAll(j, '/c', 1)).length).toBe(50);
      expect(await j.tombstoneCount()).toBe(1);
      expect(await j.commit([put('/c/after')])).toBe(53);
    } finally {
      await j.close();
    }
  });

  it('keeps sync tokens valid across a restart of the engine', async () => {
    const file = newDbFile();
    const engine = new SyncEngine({ adapter: new MemoryAdapter(), journal: SqliteJournal.open(file) });
    await engine.record([{ path: '/book', collection: true }, { path: '/book/a.vcf', etag: 'a1' }]);
    const token = (await engine.changes('/book', null, { level: 1 })).token;
    await engine.close();

    const restarted = new SyncEngine({ adapter: new MemoryAdapter(), journal: SqliteJournal.open(file) });
    try {
      expect(await restarted.currentToken('/book')).toBe(token);
      expect((await restarted.changes('/book', token, { level: 1 })).changes).toEqual([]);
      await restarted.record([{ path: '/book/b.vcf', etag: 'b1' }, { path: '/book/a.vcf', removed: true }]);
      const delta = await restarted.changes('/book', token, { level: 1 });
      expect(delta.changes.map((c) => `${c.type} ${c.path}`)).toEqual(['changed /book/b.vcf', 'removed /book/a.vcf']);
    } finally {
      await restarted.close();
    }
  });
});

describe('the state database', () => {
  it('is opened in WAL mode with full sync, foreign keys, a busy timeout and the current schema version', () => {
    const db = openStateDb(newDbFile(), { busyTimeoutMs: 1234 });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.pragma('user_version', { simple: true })).toBe(STATE_DB_VERSION);
    } finally {
      db.close();
    }
  });

  it('creates missing directories and reopens an existing file without migrating it again', async () => {
    const file = join(work(), `nested${counter++}`, 'a', 'b', 'state.db');
    const journal = SqliteJournal.open(file);
    const root = await journal.collection(ROOT);
    await journal.close();
    const again = SqliteJournal.open(file);
    try {
      expect(await again.collection(ROOT)).toEqual(root);
    } finally {
      await again.close();
    }
  });

  it('refuses a database written by a newer schema version, with a clear error', () => {
    const file = newDbFile();
    openStateDb(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${STATE_DB_VERSION + 1}`);
    raw.close();
    let error: unknown;
    try {
      openStateDb(file).close();
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining(`schema version ${STATE_DB_VERSION + 1}, newer than the ${STATE_DB_VERSION} this davsync understands`),
    });
  });

  it('reports a file that is not a database, or a path it cannot open, as unavailable', async () => {
    const notDb = newDbFile();
    mkdirSync(dirname(notDb), { recursive: true });
    writeFileSync(notDb, 'this is not a database, just text long enough to have a header '.repeat(4));
    await expectDavError('unavailable', async () => openStateDb(notDb));
    const isDir = newDbFile();
    mkdirSync(isDir, { recursive: true });
    await expectDavError('unavailable', async () => openStateDb(isDir));
  });

  it('answers unavailable once closed, and closes idempotently', async () => {
    const journal = openJournal();
    await journal.commit([put('/a')]);
    await journal.close();
    await journal.close();
    await expectDavError('unavailable', () => journal.commit([put('/b')]));
    await expectDavError('unavailable', () => journal.get('/a'));
    await expectDavError('unavailable', () => journal.collection(ROOT));
    await expectDavError('unavailable', () => journal.tombstoneCount());
    await expectDavError('unavailable', () => journal.prune({ maxTombstones: 0 }));
    await expectDavError('unavailable', () => scanAll(journal, ROOT, 1));
  });

  it('rolls back a commit that the database itself refuses midway', async () => {
    const file = newDbFile();
    const db = openStateDb(file);
    const journal = new SqliteJournal(db);
    try {
      await journal.commit([put('/a')]);
      // A trigger makes the third write of the batch fail inside SQLite, after two succeeded.
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.path = '/boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      expect(await failure(journal.commit([del('/a'), put('/b'), put('/boom')]))).toMatch(/refused/);
      expect(await journal.get('/a')).toEqual({ path: '/a', revision: 1, removed: false, collection: false, etag: 'e' });
      expect(await journal.get('/b')).toBeUndefined();
      expect(await journal.tombstoneCount()).toBe(0);
      expect((await scanAll(journal, ROOT, 'infinite')).map((e) => e.path)).toEqual(['/a']);
      expect(await journal.commit([put('/b')])).toBe(2);
    } finally {
      await journal.close();
    }
  });
});

// The whole engine (every sync rule, paging, retention) over the durable journal.
defineSyncModelSuite({
  name: 'MemoryAdapter over SqliteJournal',
  create: () => new MemoryAdapter(),
  journal: () => openJournal(),
  runs: Number(process.env['DAVSYNC_MODEL_RUNS']) || 100,
});

/**
 * The message a promise rejects with. (Not `rejects.toThrow`: the driver's
 * error class comes from the first jest realm that loaded the native addon,
 * so in a later test file it is not an `Error` of this realm.)
 */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { message?: unknown }).message);
  }
  return 'no failure';
}
