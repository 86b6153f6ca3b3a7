/**
 * MemoryLockStore: the lock-store conformance suite, and what only the
 * in-memory index promises — the check a write makes costs the same with
 * 10 000 locks held elsewhere as with none.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryLockStore, SyncEngine, type LockStore, type StorageAdapter } from '@davsync/core';
import { defineLockStoreSuite } from '@davsync/core/testing';

defineLockStoreSuite({ name: 'MemoryLockStore', create: (options) => new MemoryLockStore(options) });

/** Median time of `fn` over `runs` calls, in ms. */
async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[runs >> 1] as number;
}

describe('MemoryLockStore', () => {
  it('checks a path by walking its ancestors: 10 000 locks elsewhere cost nothing', async () => {
    const empty = new MemoryLockStore({ maxLocks: 20_000 });
    const busy = new MemoryLockStore({ maxLocks: 20_000 });
    for (let i = 0; i < 10_000; i++) await busy.lock({ path: `/other/u${i}/f`, scope: 'exclusive', depth: 'infinity', timeout: 60 });
    const path = '/home/me/projects/p/src/file.txt';
    for (const s of [empty, busy]) await median(200, () => s.locksCovering(path)); // warm up both
    const quiet = await median(2000, () => empty.locksCovering(path));
    const loaded = await median(2000, () => busy.locksCovering(path));
    // A scan of 10 000 locks would take hundreds of times longer; allow noise on a busy machine.
    expect(loaded).toBeLessThan(quiet * 5 + 0.01);
    expect(await busy.locksCovering(path)).toEqual([]);
  });

  it('drops the index nodes of removed locks, and stale expiry entries', async () => {
    let now = 0;
    const store = new MemoryLockStore({ now: () => now });
    const lock = await store.lock({ path: '/a/b/c', scope: 'shared', depth: 0, timeout: 10 });
    if (!lock.granted) throw new Error('not granted');
    for (let i = 0; i < 500; i++) await store.refresh(lock.lock.token, '/a/b/c', 10);
    expect(await store.unlock(lock.lock.token, '/a/b/c')).toBe(true);
    const internals = store as unknown as { root: { children: Map<string, unknown> }; expiry: { size: number } };
    expect(internals.root.children.size).toBe(0);
    expect(internals.expiry.size).toBeLessThanOrEqual(64 + 1);
    now = 20_000;
    expect(await store.purgeExpired()).toBe(0);
  });

  it('refuses invalid limits', () => {
    expect(() => new MemoryLockStore({ maxLocks: 0 })).toThrow(/maxLocks/);
    expect(() => new MemoryLockStore({ maxTimeoutSeconds: 1.5 })).toThrow(/maxTimeoutSeconds/);
  });
});

describe('SyncEngine.locks', () => {
  // The engine only validates the adapter's shape; these tests never call it.
  const adapter = Object.fromEntries(['stat', 'list', 'read', 'write', 'remove', 'mkcol', 'copy', 'move'].map((m) => [m, () => undefined])) as unknown as StorageAdapter;

  it('defaults to a MemoryLockStore on the engine\'s clock', async () => {
    let now = 1_000_000;
    const engine = new SyncEngine({ adapter, now: () => now });
    expect(engine.locks).toBeInstanceOf(MemoryLockStore);
    const result = await engine.locks.lock({ path: '/a', scope: 'exclusive', depth: 0, timeout: 10 });
    expect(result.granted && result.lock.expires).toBe(1_010_000);
    now = 1_010_000;
    expect(await engine.locks.count()).toBe(0);
  });

  it('takes the store it is given, closes it with the engine, and refuses what is not one', async () => {
    const closed: string[] = [];
    const locks: LockStore = Object.assign(new MemoryLockStore(), { close: async () => void closed.push('locks') });
    const engine = new SyncEngine({ adapter, locks });
    expect(engine.locks).toBe(locks);
    await engine.close();
    expect(closed).toEqual(['locks']);
    expect(() => new SyncEngine({ adapter, locks: {} as LockStore })).toThrow(/locks: locks must implement LockStore/);
  });
});
