/**
 * MemoryLockStore: the lock-store conformance suite, and what only the
 * in-memory index promises — the check a write makes costs the same with
 * 10 000 locks held elsewhere as with none.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryLockStore, SyncEngine, type LockStore, type StorageAdapter } from '@davsync/core';
import { defineLockStoreSuite } from '@davsync/core/testing';

defineLockStoreSuite({ name: 'MemoryLockStore', create: (options) => new MemoryLockStore(options) });

/**
 * How much of the store's maps one call reads: `get`s plus entries yielded
 * by iteration. Counted, not timed, so the comparison holds on a busy
 * machine; a scan of every lock would yield every lock.
 */
async function mapReads(fn: () => Promise<unknown>): Promise<number> {
  const proto = Map.prototype as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
  const names: Array<string | symbol> = ['get', 'values', 'entries', 'keys', 'forEach', Symbol.iterator];
  const saved = names.map((n) => proto[n]!);
  let reads = 0;
  const counted = (it: Iterator<unknown>): IterableIterator<unknown> => {
    const wrapped = {
      next: () => {
        const r = it.next();
        if (!r.done) reads++;
        return r;
      },
      [Symbol.iterator]: () => wrapped,
    };
    return wrapped;
  };
  names.forEach((n, i) => {
    const original = saved[i]!;
    proto[n] = function (this: Map<unknown, unknown>, ...args: unknown[]) {
      if (n === 'get') {
        reads++;
        return original.apply(this, args);
      }
      if (n === 'forEach') {
        reads += this.size;
        return original.apply(this, args);
      }
      return counted(original.apply(this, args) as Iterator<unknown>);
    };
  });
  try {
    await fn();
  } finally {
    names.forEach((n, i) => (proto[n] = saved[i]!));
  }
  return reads;
}

describe('MemoryLockStore', () => {
  it('checks a path by walking its ancestors: 10 000 locks elsewhere add no reads', async () => {
    const empty = new MemoryLockStore({ maxLocks: 20_000 });
    const busy = new MemoryLockStore({ maxLocks: 20_000 });
    for (let i = 0; i < 10_000; i++) await busy.lock({ path: `/other/u${i}/f`, scope: 'exclusive', depth: 'infinity', timeout: 60 });
    const path = '/home/me/projects/p/src/file.txt';
    const quiet = await mapReads(() => empty.locksCovering(path));
    const loaded = await mapReads(() => busy.locksCovering(path));
    expect(quiet).toBeGreaterThan(0); // the count sees the store's reads
    expect(loaded).toBe(quiet);
    // And under a locked ancestor: the walk reads that branch, not the others.
    await busy.lock({ path: '/home/me', scope: 'shared', depth: 'infinity', timeout: 60 });
    await empty.lock({ path: '/home/me', scope: 'shared', depth: 'infinity', timeout: 60 });
    expect(await mapReads(() => busy.locksCovering(path))).toBe(await mapReads(() => empty.locksCovering(path)));
    await busy.unlock((await busy.locksCovering('/home/me'))[0]!.token, '/home/me');
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
