/**
 * SqlitePushRegistrationStore: the push-registration-store conformance
 * suite, and what only the durable store promises — registrations and
 * their delivery state survive closing and reopening the state database,
 * and a version 3 database gains the table on upgrade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import type { PushRegistrationStore } from '@davsync/core';
import { definePushRegistrationStoreSuite } from '@davsync/core/testing';
import { openStateDb, STATE_DB_VERSION, type StateDatabase } from '../../src/journal/state-db';
import { SqlitePushRegistrationStore } from '../../src/journal/sqlite-push-registration-store';

let workDir: string | undefined;
const work = (): string => (workDir ??= mkdtempSync(join(tmpdir(), 'davsync-push-')));
afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});
let counter = 0;
const newDbFile = (): string => join(work(), `db${counter++}`, 'state.db');

const databases = new WeakMap<PushRegistrationStore, StateDatabase>();

definePushRegistrationStoreSuite({
  name: 'SqlitePushRegistrationStore',
  create: (options) => {
    const db = openStateDb(newDbFile());
    const store = new SqlitePushRegistrationStore(db, options);
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

it('registrations and their last delivery survive reopening the database', async () => {
  const file = newDbFile();
  const first = openStateDb(file);
  const store = new SqlitePushRegistrationStore(first);
  const { registration } = await store.register({
    collection: '/cal',
    user: undefined,
    subscription: { pushResource: 'https://push.example/a', publicKey: 'k', authSecret: 'a' },
    trigger: { contentUpdate: 'infinity', propertyUpdate: 0 },
    expires: Date.now() + 60_000,
  });
  const delivered = await store.recordDelivery(registration.id, { at: 123, ok: false, status: 503, error: 'push service answered 503' });
  first.close();
  const second = openStateDb(file);
  try {
    const again = await new SqlitePushRegistrationStore(second).get(registration.id);
    expect(again).toEqual(delivered);
    expect(again).toMatchObject({ user: undefined, trigger: { contentUpdate: 'infinity', propertyUpdate: 0 }, failures: 1 });
  } finally {
    second.close();
  }
});

it('a version 4 state database gains the push table on upgrade', async () => {
  const file = newDbFile();
  const made = openStateDb(file);
  made.exec('DROP TABLE push_registrations');
  made.pragma('user_version = 4');
  made.close();
  const db = openStateDb(file);
  try {
    expect(db.pragma('user_version', { simple: true })).toBe(STATE_DB_VERSION);
    expect(await new SqlitePushRegistrationStore(db).count()).toBe(0);
  } finally {
    db.close();
  }
});
