/**
 * Giving up `openFsStore` with an AbortSignal: during the start-up
 * reconcile of a large tree it stops within a listing batch, records
 * nothing, and leaves the folder free.
 */
import { afterEach, expect, it, jest } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { openFsStore } from '@davsync/adapter-fs';
import { SyncEngine } from '@davsync/core';
import Database from 'better-sqlite3';
import { removeTemp, tempDir } from '../support/temp-store';

const dirs: string[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  for (const d of dirs.splice(0)) await removeTemp(d);
});

it('an abort during the start-up reconcile stops it promptly, records nothing and releases the lock', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const root = join(dir, 'root');
  // 40 folders of 100 files: a walk of 40 listings, so the abort lands inside it.
  for (let d = 0; d < 40; d++) {
    await fsp.mkdir(join(root, `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => fsp.writeFile(join(root, `d${d}`, `f${i}.txt`), 'x')));
  }
  const controller = new AbortController();
  let abortedAt = 0;
  let reconcile: Promise<number> | undefined;
  const original = SyncEngine.prototype.refresh;
  jest.spyOn(SyncEngine.prototype, 'refresh').mockImplementation(function (this: SyncEngine, ...args) {
    reconcile = original.apply(this, args);
    // Once the walk is under way (the first listing has been asked for).
    setImmediate(() => {
      abortedAt = performance.now();
      controller.abort();
    });
    return reconcile;
  });

  await expect(openFsStore({ root, watch: false, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  expect(performance.now() - abortedAt).toBeLessThan(1000);
  await expect(reconcile).rejects.toMatchObject({ name: 'AbortError' }); // it was the walk that stopped

  const db = new Database(join(root, '.davsync', 'state.db'), { readonly: true });
  try {
    expect(db.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
  jest.restoreAllMocks();
  const store = await openFsStore({ root, watch: false }); // the lock was released
  await store.close();
});

it('an already aborted signal opens nothing', async () => {
  const dir = tempDir();
  dirs.push(dir);
  await expect(openFsStore({ root: join(dir, 'root'), signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  await expect(fsp.stat(join(dir, 'root'))).rejects.toMatchObject({ code: 'ENOENT' });
});
