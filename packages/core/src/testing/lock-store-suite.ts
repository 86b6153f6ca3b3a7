/**
 * The lock-store conformance suite: every `LockStore` (in memory, in the fs
 * store's SQLite database, in PostgreSQL, a third party's) is checked by the
 * same tests — the RFC 4918 conflict rules through the store's own index,
 * refresh, unlock, expiry on the suite's clock, the cap, and parallel
 * requests of which at most one conflicting one may win.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { expectDavError } from './assertions';
import { conflictsWith, type ActiveLock, type LockRequest, type LockStoreOptions } from '../locks/lock';
import type { LockStore } from '../locks/lock-store';

/** What the suite hands to `create`: the clock and limits to give the store. */
export interface LockSuiteContext extends LockStoreOptions {
  /** The suite's clock (ms since the epoch): the store must read time from it only. */
  readonly now: () => number;
}

export interface LockSuiteOptions {
  /** Names the store in the test titles. */
  readonly name: string;
  /** A new, empty store with these options (clock and limits). */
  readonly create: (context: LockSuiteContext) => LockStore | Promise<LockStore>;
  /** Releases what `create` made; the suite has already called the store's `close()`. */
  readonly cleanup?: (store: LockStore) => void | Promise<void>;
}

const START_TIME = 1_700_000_000_000;
const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ex = (path: string, depth: 0 | 'infinity' = 0, timeout: number | 'infinite' = 60): LockRequest => ({ path, scope: 'exclusive', depth, timeout });
const sh = (path: string, depth: 0 | 'infinity' = 0, timeout: number | 'infinite' = 60): LockRequest => ({ path, scope: 'shared', depth, timeout });

/** Takes a lock that must be granted. */
async function take(store: LockStore, request: LockRequest): Promise<ActiveLock> {
  const result = await store.lock(request);
  if (!result.granted) throw new Error(`expected ${request.scope} ${request.path} to be granted, conflicts: ${result.conflicts.map((l) => l.root).join(', ')}`);
  return result.lock;
}

/** Whether a request is refused for a conflict. */
const refused = async (store: LockStore, request: LockRequest): Promise<boolean> => !(await store.lock(request)).granted;

const roots = (locks: readonly ActiveLock[]): string[] => locks.map((l) => l.root).sort();

/**
 * Defines the conformance tests of the `LockStore` contract for one store,
 * in a `describe` block named after it. Call it once at the top level of a
 * test file.
 *
 * @example
 * import { defineLockStoreSuite } from '@davsync/core/testing';
 * import { MemoryLockStore } from '@davsync/core';
 *
 * defineLockStoreSuite({ name: 'memory', create: (options) => new MemoryLockStore(options) });
 */
export function defineLockStoreSuite(options: LockSuiteOptions): void {
  describe(`LockStore conformance: ${options.name}`, () => {
    let clock = START_TIME;
    let opened: LockStore[] = [];
    const fresh = async (limits: Omit<LockStoreOptions, 'now'> = {}): Promise<LockStore> => {
      const store = await options.create({ ...limits, now: () => clock });
      opened.push(store);
      return store;
    };
    beforeEach(() => {
      clock = START_TIME;
    });
    afterEach(async () => {
      const stores = opened;
      opened = [];
      for (const s of stores) {
        await s.close?.();
        await options.cleanup?.(s);
      }
    });

    describe('granting', () => {
      it('grants a lock with a urn:uuid token and keeps every field, the owner verbatim', async () => {
        const store = await fresh();
        const owner = '<D:owner xmlns:D="DAV:"><D:href>mailto:zoë@example.com</D:href>&amp; "quoted"</D:owner>';
        const lock = await take(store, { path: '/docs', scope: 'exclusive', depth: 'infinity', timeout: 120, owner, principal: 'zoë' });
        expect(lock).toEqual({
          token: expect.stringMatching(URN_UUID),
          root: '/docs',
          scope: 'exclusive',
          depth: 'infinity',
          owner,
          principal: 'zoë',
          timeoutSeconds: 120,
          expires: START_TIME + 120_000,
        });
        expect(await store.get(lock.token)).toEqual(lock);
        expect(await store.count()).toBe(1);
        const bare = await take(store, sh('/other'));
        expect(bare.owner).toBeUndefined();
        expect(bare.principal).toBeUndefined();
        expect(await store.get(bare.token)).toEqual(bare);
        expect(await store.get('urn:uuid:00000000-0000-4000-8000-000000000000')).toBeUndefined();
      });

      it('gives every lock a different token', async () => {
        const store = await fresh();
        const tokens = new Set<string>();
        for (let i = 0; i < 50; i++) tokens.add((await take(store, sh('/same'))).token);
        expect(tokens.size).toBe(50);
        for (const t of tokens) expect(t).toMatch(URN_UUID);
      });

      it('caps the timeout, Infinite included, and grants at least one second', async () => {
        const store = await fresh({ maxTimeoutSeconds: 600 });
        expect((await take(store, sh('/a', 0, 'infinite'))).timeoutSeconds).toBe(600);
        expect((await take(store, sh('/b', 0, 10 ** 9))).expires).toBe(START_TIME + 600_000);
        expect((await take(store, sh('/c', 0, 0))).timeoutSeconds).toBe(1);
        expect((await take(store, sh('/d', 0, 599))).timeoutSeconds).toBe(599);
      });

      it('refuses invalid requests with bad-request and stores nothing', async () => {
        const store = await fresh({ maxOwnerLength: 10 });
        const bad: unknown[] = [
          ex('relative'),
          ex('/a/../b'),
          ex('/a/'),
          { ...ex('/a'), scope: 'mine' },
          { ...ex('/a'), depth: 1 },
          ex('/a', 0, -1),
          ex('/a', 0, 1.5),
          { ...ex('/a'), timeout: 'forever' },
          { ...ex('/a'), owner: 'x'.repeat(11) },
          { ...ex('/a'), owner: 42 },
        ];
        for (const request of bad) await expectDavError('bad-request', () => store.lock(request as LockRequest));
        expect(await store.count()).toBe(0);
        await take(store, { ...ex('/a'), owner: 'x'.repeat(10) });
      });
    });

    describe('conflicts (RFC 4918 §6.1–6.2)', () => {
      it('an exclusive lock excludes every other; shared locks coexist but exclude an exclusive one', async () => {
        const store = await fresh();
        const held = await take(store, ex('/x'));
        expect(await store.lock(ex('/x'))).toEqual({ granted: false, conflicts: [held] });
        expect(await refused(store, sh('/x'))).toBe(true);
        const s1 = await take(store, sh('/y'));
        const s2 = await take(store, sh('/y', 'infinity'));
        const result = await store.lock(ex('/y'));
        expect(result.granted).toBe(false);
        if (!result.granted) expect(result.conflicts.map((l) => l.token).sort()).toEqual([s1.token, s2.token].sort());
      });

      it('a depth-infinity lock on an ancestor conflicts; a depth-0 one does not', async () => {
        const store = await fresh();
        await take(store, ex('/a', 'infinity'));
        expect(await refused(store, ex('/a/b/c'))).toBe(true);
        expect(await refused(store, sh('/a/b', 'infinity'))).toBe(true);
        await take(store, ex('/p'));
        await take(store, ex('/p/q'));
        await take(store, ex('/p/r', 'infinity'));
      });

      it('a depth-infinity request conflicts with a lock below it; a depth-0 one does not', async () => {
        const store = await fresh();
        await take(store, ex('/a/b/c'));
        expect(await refused(store, ex('/a', 'infinity'))).toBe(true);
        expect(await refused(store, sh('/', 'infinity'))).toBe(true);
        await take(store, ex('/a'));
        await take(store, ex('/', 0));
        // Shared below, shared above: no conflict.
        await take(store, sh('/s/t'));
        await take(store, sh('/s', 'infinity'));
      });

      it('siblings that share a prefix are not in each other\'s scope', async () => {
        const store = await fresh();
        await take(store, ex('/a', 'infinity'));
        await take(store, ex('/ab', 'infinity'));
        await take(store, ex('/a.b'));
        await take(store, ex('/a-/x'));
        expect(roots(await store.locksCovering('/ab/c'))).toEqual(['/ab']);
      });
    });

    describe('lookups', () => {
      it('locksCovering: the path\'s own locks and ancestors\' depth-infinity locks only', async () => {
        const store = await fresh();
        await take(store, sh('/', 'infinity'));
        await take(store, sh('/a', 0));
        await take(store, sh('/a/b', 'infinity'));
        await take(store, sh('/a/b/c', 0));
        await take(store, sh('/a/b/c/d', 'infinity'));
        await take(store, sh('/a/bb', 'infinity'));
        await take(store, sh('/a/b/x', 0));
        expect(roots(await store.locksCovering('/a/b/c'))).toEqual(['/', '/a/b', '/a/b/c']);
        expect(roots(await store.locksCovering('/a'))).toEqual(['/', '/a']);
        expect(roots(await store.locksCovering('/a/b/c/d/e/f'))).toEqual(['/', '/a/b', '/a/b/c/d']);
        expect(roots(await store.locksCovering('/'))).toEqual(['/']);
        expect(roots(await store.locksCovering('/z'))).toEqual(['/']);
      });

      it('locksBelow: the locks strictly inside a subtree', async () => {
        const store = await fresh();
        for (const p of ['/a', '/a/b', '/a/b/c', '/ab', '/a.b', '/z']) await take(store, sh(p));
        expect(roots(await store.locksBelow('/a'))).toEqual(['/a/b', '/a/b/c']);
        expect(roots(await store.locksBelow('/a/b/c'))).toEqual([]);
        expect(roots(await store.locksBelow('/nothing'))).toEqual([]);
        expect(roots(await store.locksBelow('/'))).toEqual(['/a', '/a.b', '/a/b', '/a/b/c', '/ab', '/z']);
      });

      it('finds the right locks among many held elsewhere', async () => {
        const store = await fresh();
        for (let i = 0; i < 300; i++) await take(store, ex(`/u${i}/doc`, i % 2 === 0 ? 0 : 'infinity'));
        const mine = await take(store, ex('/u8/doc/deep/file')); // /u8/doc is depth 0: no conflict
        expect(await store.count()).toBe(301);
        expect(roots(await store.locksCovering('/u8/doc'))).toEqual(['/u8/doc']);
        expect(roots(await store.locksCovering('/u8/doc/x'))).toEqual([]);
        expect(await refused(store, ex('/u9/doc/x'))).toBe(true);
        expect(await store.locksCovering('/u8/doc/deep/file')).toEqual([mine]);
        expect(roots(await store.locksCovering('/u7/doc/deep/file'))).toEqual(['/u7/doc']);
      });
    });

    describe('refresh and unlock', () => {
      it('refreshes a lock from now, through any path in its scope', async () => {
        const store = await fresh({ maxTimeoutSeconds: 1000 });
        const lock = await take(store, ex('/a', 'infinity', 60));
        clock += 30_000;
        const refreshed = await store.refresh(lock.token, '/a/b/c', 100);
        expect(refreshed).toEqual({ ...lock, timeoutSeconds: 100, expires: clock + 100_000 });
        expect(await store.get(lock.token)).toEqual(refreshed);
        expect((await store.refresh(lock.token, '/a', 'infinite'))?.timeoutSeconds).toBe(1000);
        clock += 999_000;
        expect(await store.get(lock.token)).toBeDefined(); // the refresh kept it past its first expiry
      });

      it('refuses a refresh with an unknown token or outside the lock\'s scope', async () => {
        const store = await fresh();
        const deep = await take(store, ex('/a', 0, 60));
        expect(await store.refresh('urn:uuid:00000000-0000-4000-8000-000000000000', '/a', 60)).toBeUndefined();
        expect(await store.refresh(deep.token, '/a/b', 60)).toBeUndefined(); // depth 0 does not reach /a/b
        expect(await store.refresh(deep.token, '/b', 60)).toBeUndefined();
        expect(await store.get(deep.token)).toEqual(deep);
      });

      it('unlocks only with the right token, through a path in the lock\'s scope', async () => {
        const store = await fresh();
        const lock = await take(store, ex('/a', 'infinity'));
        const other = await take(store, ex('/b'));
        expect(await store.unlock(other.token, '/a')).toBe(false);
        expect(await store.unlock('urn:uuid:00000000-0000-4000-8000-000000000000', '/a')).toBe(false);
        expect(await store.unlock(lock.token, '/ab')).toBe(false);
        expect(await store.get(lock.token)).toEqual(lock);
        expect(await refused(store, ex('/a/x'))).toBe(true);
        expect(await store.unlock(lock.token, '/a/x/y')).toBe(true);
        expect(await store.get(lock.token)).toBeUndefined();
        expect(await store.unlock(lock.token, '/a')).toBe(false);
        expect(await store.locksCovering('/a/x')).toEqual([]);
        await take(store, ex('/a/x'));
        expect(await store.get(other.token)).toEqual(other);
      });

      it('removes every lock within a subtree, and nothing outside it', async () => {
        const store = await fresh();
        for (const p of ['/a', '/a/b', '/a/b/c', '/ab', '/']) await take(store, sh(p));
        expect(await store.removeWithin('/a')).toBe(3);
        expect(roots(await store.locksBelow('/'))).toEqual(['/ab']);
        expect(roots(await store.locksCovering('/'))).toEqual(['/']);
        expect(await store.removeWithin('/a')).toBe(0);
        expect(await store.removeWithin('/')).toBe(2);
        expect(await store.count()).toBe(0);
      });
    });

    describe('expiry', () => {
      it("reads time from the clock it was given (now() is what lockdiscovery's remaining seconds use)", async () => {
        const store = await fresh();
        expect(store.now()).toBe(START_TIME);
        clock = START_TIME + 12_345;
        expect(store.now()).toBe(START_TIME + 12_345);
      });

      it('a lock is gone at its expiry time: not returned, not in conflict, not counted', async () => {
        const store = await fresh();
        const lock = await take(store, ex('/a', 'infinity', 60));
        clock = lock.expires - 1;
        expect(await store.get(lock.token)).toEqual(lock);
        expect(await refused(store, ex('/a/b'))).toBe(true);
        clock = lock.expires;
        expect(await store.get(lock.token)).toBeUndefined();
        expect(await store.locksCovering('/a/b')).toEqual([]);
        expect(await store.locksBelow('/')).toEqual([]);
        expect(await store.count()).toBe(0);
        expect(await store.refresh(lock.token, '/a', 60)).toBeUndefined();
        expect(await store.unlock(lock.token, '/a')).toBe(false);
        await take(store, ex('/a/b'));
      });

      it('purges expired locks and says how many', async () => {
        const store = await fresh();
        await take(store, sh('/a', 0, 10));
        await take(store, sh('/b', 0, 20));
        const kept = await take(store, sh('/c', 0, 30));
        clock += 20_000;
        const purged = await store.purgeExpired();
        expect(purged).toBeLessThanOrEqual(2); // a store may have purged some lazily already
        expect(await store.purgeExpired()).toBe(0);
        expect(roots(await store.locksBelow('/'))).toEqual(['/c']);
        expect(await store.get(kept.token)).toEqual(kept);
      });
    });

    describe('the cap on locks', () => {
      it('refuses a lock past maxLocks with insufficient-storage, and has room again after an unlock or expiry', async () => {
        const store = await fresh({ maxLocks: 3 });
        const first = await take(store, ex('/a', 0, 10));
        await take(store, ex('/b', 0, 100));
        await take(store, ex('/c', 0, 100));
        await expectDavError('insufficient-storage', () => store.lock(ex('/d')));
        expect(await refused(store, ex('/a'))).toBe(true); // a conflict is still reported as one
        expect(await store.count()).toBe(3);
        expect(await store.unlock(first.token, '/a')).toBe(true);
        await take(store, ex('/d', 0, 10));
        await expectDavError('insufficient-storage', () => store.lock(ex('/e')));
        clock += 10_000;
        await take(store, ex('/e'));
        expect(await store.count()).toBe(3);
      });
    });

    describe('concurrency', () => {
      it('of many parallel exclusive requests on one path exactly one wins; parallel shared ones all do', async () => {
        const store = await fresh();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.lock(ex('/hot'))));
        expect(results.filter((r) => r.granted)).toHaveLength(1);
        const shared = await Promise.all(Array.from({ length: 20 }, () => store.lock(sh('/warm'))));
        expect(shared.every((r) => r.granted)).toBe(true);
      });

      it('parallel requests over ancestors and descendants never grant two conflicting locks', async () => {
        const store = await fresh();
        const requests = [ex('/t', 'infinity'), ex('/t/a', 'infinity'), ...Array.from({ length: 12 }, (_, i) => ex(`/t/a/m${i % 4}`)), sh('/t/a/m0', 'infinity')];
        const results = await Promise.all(requests.map((r) => store.lock(r)));
        const granted = results.flatMap((r) => (r.granted ? [r.lock] : []));
        expect(granted.length).toBeGreaterThan(0);
        for (const a of granted) for (const b of granted) if (a !== b) expect(conflictsWith({ path: a.root, scope: a.scope, depth: a.depth }, b)).toBe(false);
        expect(roots(await store.locksBelow('/'))).toEqual(roots(granted));
      });
    });
  });
}
