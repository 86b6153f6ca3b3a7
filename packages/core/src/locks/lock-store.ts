/**
 * The lock store contract: where a server keeps its WebDAV write locks
 * (RFC 4918 §6–7). One per engine (`SyncEngine.locks`): `MemoryLockStore`
 * by default, `SqliteLockStore` in the fs store's state database (locks
 * survive a restart within their timeout), `PostgresLockStore` shared by
 * every instance on one database.
 *
 * Every write checks `locksCovering` for its target, so that lookup must be
 * an index walk over the path and its ancestors — O(depth), never a scan of
 * all locks held. Which locks conflict, what timeout is granted and what a
 * valid request is are decided by the pure rules in `lock.ts`, which every
 * store calls; a store finds candidates and stores the outcome atomically.
 *
 * Expired locks are gone: no method returns one, none conflicts, none
 * counts towards the cap; a store purges them when it likes (lazily, on
 * `lock`, or on `purgeExpired`).
 */
import type { ActiveLock, LockRequest, LockResult } from './lock';

export interface LockStore {
  /**
   * Grants `request` unless a live lock conflicts with it (`conflictsWith`
   * in `lock.ts`: a lock on the path, a depth-infinity lock on an ancestor,
   * or, for a depth-infinity request, a lock below the path; exclusive
   * against anything, shared against exclusive), as one atomic
   * check-and-insert: of two conflicting requests made at once, on any
   * instance sharing the store, at most one is granted.
   *
   * @throws DavError('bad-request') for a request `checkLockRequest` refuses;
   *   DavError('insufficient-storage') when the store already holds
   *   `maxLocks` live locks.
   */
  lock(request: LockRequest): Promise<LockResult>;

  /**
   * Gives the live lock `token` a new timeout from now (granted as for
   * `lock`), if `path` is in its scope (RFC 4918 §9.10.2: a refresh is sent
   * to a URL the lock covers). Returns the refreshed lock, or `undefined`
   * when there is no such live lock or `path` is not in its scope.
   */
  refresh(token: string, path: string, timeout: number | 'infinite'): Promise<ActiveLock | undefined>;

  /**
   * Removes the live lock `token` if `path` is in its scope (RFC 4918
   * §9.11). Returns whether a lock was removed.
   */
  unlock(token: string, path: string): Promise<boolean>;

  /** The live lock with this token, or `undefined`. */
  get(token: string): Promise<ActiveLock | undefined>;

  /**
   * The live locks whose scope includes `path`: those rooted at it and the
   * depth-infinity ones rooted at an ancestor — what every write checks.
   * Cost: one index lookup per path segment, whatever the number of locks.
   */
  locksCovering(path: string): Promise<ActiveLock[]>;

  /**
   * The live locks rooted strictly below `path` (a DELETE or MOVE of a
   * collection must hold their tokens too, RFC 4918 §9.6.1, §9.9.2). Cost:
   * an index range over the subtree's locks, not over all locks.
   */
  locksBelow(path: string): Promise<ActiveLock[]>;

  /**
   * Removes every lock rooted at `path` or below it, whatever their
   * tokens: after a DELETE or the source side of a MOVE (RFC 4918 §7.6,
   * locks do not move with their resource). Returns how many were removed.
   */
  removeWithin(path: string): Promise<number>;

  /** Drops expired locks now; returns how many. Stores also drop them lazily. */
  purgeExpired(): Promise<number>;

  /** How many live locks the store holds (what the `maxLocks` cap counts). */
  count(): Promise<number>;

  /**
   * The store's clock (ms since the epoch), the one its expiries are
   * measured against: `DAV:lockdiscovery` computes a lock's remaining
   * seconds from it, so a test with a fake clock, or instances whose
   * store reads time from one place, report what the store will enforce.
   */
  now(): number;

  /** Releases resources the store owns (not a database it was handed). */
  close?(): Promise<void>;
}
