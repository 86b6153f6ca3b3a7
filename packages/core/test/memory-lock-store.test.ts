/**
 * MemoryLockStore: the lock-store conformance suite, and what only the
 * in-memory index promises — the check a write makes costs the same with
 * 10 000 locks held elsewhere as with none.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryLockStore } from '@davsync/core';
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
