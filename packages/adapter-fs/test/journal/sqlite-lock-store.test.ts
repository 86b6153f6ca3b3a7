/**
 * SqliteLockStore: the lock-store conformance suite, and what only the
 * durable store promises — locks survive closing and reopening the state
 * database within their timeout, another connection to the same file sees
 * and respects them, the lookups are index seeks, and a version 2 state
 * database gains the table on upgrade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { LockStore } from '@davsync/core';
import { defineLockStoreSuite } from '@davsync/core/testing';
import { openStateDb, STATE_DB_VERSION, type StateDatabase } from '../../src/journal/state-db';
import { BELOW_SQL, COVERING_SQL, SqliteLockStore } from '../../src/journal/sqlite-lock-store';

let workDir: string | undefined;
const work = (): string => (workDir ??= mkdtempSync(join(tmpdir(), 'davsync-locks-')));
afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});
let counter = 0;
const newDbFile = (): string => join(work(), `db${counter++}`, 'state.db');

const databases = new WeakMap<LockStore, StateDatabase>();

defineLockStoreSuite({
  name: 'SqliteLockStore',
  create: (options) => {
    const db = openStateDb(newDbFile());
    const store = new SqliteLockStore(db, options);
    databases.set(store, db);
    return store;
  },
  cleanup: (store) => {
    const db = databases.get(store);
    if (db === undefined) return;
    db.close();
    rmSync(dirname(db.name), { recursive: true, force: true });
  },
});

describe('SqliteLockStore', () => {
  it('keeps locks across closing and reopening the database, until they expire', async () => {
    const file = newDbFile();
    let now = 1_000_000;
    const first = openStateDb(file);
    const before = new SqliteLockStore(first, { now: () => now });
    const owner = '<D:owner xmlns:D="DAV:"><D:href>http://example.com/~me</D:href></D:owner>';
    const long = await before.lock({ path: '/docs', scope: 'exclusive', depth: 'infinity', timeout: 600, owner, principal: 'me' });
    const short = await before.lock({ path: '/tmp.txt', scope: 'shared', depth: 0, timeout: 10 });
    if (!long.granted || !short.granted) throw new Error('not granted');
    first.close();

    now += 60_000; // the short lock has expired meanwhile
    const second = openStateDb(file);
    const after = new SqliteLockStore(second, { now: () => now });
    expect(await after.get(long.lock.token)).toEqual(long.lock);
    expect(await after.get(short.lock.token)).toBeUndefined();
    expect(await after.locksCovering('/docs/a/b')).toEqual([long.lock]);
    expect((await after.lock({ path: '/docs/a', scope: 'shared', depth: 0, timeout: 5 })).granted).toBe(false);
    expect(await after.count()).toBe(1);
    second.close();
  });

  it('is one store for every connection to the file: a lock taken through one conflicts through another', async () => {
    const file = newDbFile();
    const a = openStateDb(file);
    const b = openStateDb(file);
    try {
      const one = new SqliteLockStore(a);
      const two = new SqliteLockStore(b);
      const held = await one.lock({ path: '/shared/doc', scope: 'exclusive', depth: 0, timeout: 60 });
      if (!held.granted) throw new Error('not granted');
      expect(await two.lock({ path: '/shared', scope: 'shared', depth: 'infinity', timeout: 60 })).toEqual({ granted: false, conflicts: [held.lock] });
      expect(await two.unlock(held.lock.token, '/shared/doc')).toBe(true);
      expect(await one.get(held.lock.token)).toBeUndefined();
    } finally {
      a.close();
      b.close();
    }
  });

  it('finds a path\'s locks by index seeks, never by scanning the table', () => {
    const db = openStateDb(newDbFile());
    try {
      const plan = (sql: string, ...params: unknown[]): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
      const covering = plan(COVERING_SQL, '["/a/b","/a","/"]', '/a/b', 0);
      expect(covering).toMatch(/SEARCH locks USING INDEX locks_by_root \(root=\?\)/);
      expect(covering).not.toMatch(/SCAN locks/);
      const below = plan(BELOW_SQL, '/a/', '/a0', 0);
      expect(below).toMatch(/SEARCH locks USING INDEX locks_by_root \(root>\? AND root<\?\)/);
    } finally {
      db.close();
    }
  });

  it('upgrades a version 2 state database, keeping its journal', async () => {
    const file = newDbFile();
    const made = openStateDb(file);
    made.prepare("INSERT INTO revocations (user, path, revision) VALUES ('bob', '/kept', 7)").run();
    // Make it a version 2 file again, as the previous davsync left it.
    made.exec('DROP TABLE locks; DROP TABLE file_ids; DROP TABLE push_registrations');
    made.pragma('user_version = 2');
    made.close();
    const db = openStateDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(STATE_DB_VERSION);
      expect(db.prepare("SELECT revision FROM revocations WHERE user = 'bob'").pluck().get()).toBe(7);
      expect((await new SqliteLockStore(db).lock({ path: '/a', scope: 'exclusive', depth: 0, timeout: 5 })).granted).toBe(true);
    } finally {
      db.close();
    }
  });
});
