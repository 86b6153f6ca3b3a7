/**
 * WebDAV write locks (RFC 4918 §6–7) as values: what a lock request asks
 * for, what a granted lock is, and the rules every lock store applies —
 * validation, the granted timeout and when two locks conflict. The rules
 * live here once; a store only finds the candidate locks through its index
 * and stores the winner, so the memory, SQLite and PostgreSQL stores cannot
 * disagree about what conflicts.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, DavError } from '../errors';
import { isMemberPath, isWithin } from '../paths';

/** RFC 4918 §6.2: an exclusive lock conflicts with any other; shared locks only with exclusive ones. */
export type LockScope = 'exclusive' | 'shared';

/** RFC 4918 §9.10.3: the lock root alone, or the root and everything below it. */
export type LockDepth = 0 | 'infinity';

/** What a LOCK request asks for. */
export interface LockRequest {
  /** The lock root: a member path (it need not exist: RFC 4918 §7.3 lock-null). */
  readonly path: string;
  readonly scope: LockScope;
  readonly depth: LockDepth;
  /**
   * Seconds asked for (`Second-n`), or `'infinite'`. The store grants at
   * most its `maxTimeoutSeconds`, `'infinite'` included, so no lock
   * outlives the cap.
   */
  readonly timeout: number | 'infinite';
  /** The `DAV:owner` element as the client sent it, verbatim XML; at most `maxOwnerLength` characters. */
  readonly owner?: string;
  /** Who took the lock, when the host knows (the user the middleware authenticated). */
  readonly principal?: string;
}

/** A granted lock (RFC 4918 `DAV:activelock`). */
export interface ActiveLock {
  /** `urn:uuid:…`: unique across stores and time (RFC 4918 §6.5). */
  readonly token: string;
  /** The lock root. */
  readonly root: string;
  readonly scope: LockScope;
  readonly depth: LockDepth;
  /** The `DAV:owner` XML as given, or `undefined`. */
  readonly owner: string | undefined;
  /** The principal that took it, or `undefined`. */
  readonly principal: string | undefined;
  /** The timeout granted (or last refreshed to), in seconds. */
  readonly timeoutSeconds: number;
  /** When it expires, ms since the epoch: from then on it is gone. */
  readonly expires: number;
}

/** What `LockStore.lock` returns: the new lock, or the live locks it conflicts with. */
export type LockResult =
  | { readonly granted: true; readonly lock: ActiveLock }
  | { readonly granted: false; readonly conflicts: readonly ActiveLock[] };

/** Limits of a lock store; every store takes these options. */
export interface LockLimits {
  /** Live locks the store holds at most; a request past it is refused (`insufficient-storage`). Default 10 000. */
  readonly maxLocks?: number;
  /** Longest timeout granted, in seconds, `Infinite` included. Default 3 600. */
  readonly maxTimeoutSeconds?: number;
  /** Longest `owner` accepted, in UTF-16 code units. Default 4 096. */
  readonly maxOwnerLength?: number;
}

/** Options every lock store takes: its limits and its clock. */
export interface LockStoreOptions extends LockLimits {
  /** Clock (ms since the epoch), for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** {@link LockStoreOptions} with every default applied. */
export interface LockSettings {
  readonly maxLocks: number;
  readonly maxTimeoutSeconds: number;
  readonly maxOwnerLength: number;
  readonly now: () => number;
}

export const LOCK_DEFAULTS = { maxLocks: 10_000, maxTimeoutSeconds: 3_600, maxOwnerLength: 4_096 } as const;

const positiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Applies the defaults, throwing a `TypeError` for a limit that is not a positive integer. */
export function lockSettings(options: LockStoreOptions = {}): LockSettings {
  const limit = (key: keyof LockLimits): number => {
    const v = options[key];
    if (v === undefined) return LOCK_DEFAULTS[key];
    if (!positiveInteger(v)) throw new TypeError(`davsync: invalid lock store options: ${key}: must be a positive integer`);
    return v;
  };
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('davsync: invalid lock store options: now: must be a function');
  return {
    maxLocks: limit('maxLocks'),
    maxTimeoutSeconds: limit('maxTimeoutSeconds'),
    maxOwnerLength: limit('maxOwnerLength'),
    now: options.now ?? Date.now,
  };
}

/**
 * Throws `bad-request` unless `request` is one a store may grant: a member
 * path, a known scope and depth, a timeout of whole seconds (≥ 0) or
 * `'infinite'`, string owner and principal, the owner within the limit.
 * Stores call it before touching their index, so junk never reaches it.
 */
export function checkLockRequest(request: LockRequest, settings: LockSettings): void {
  if (typeof request !== 'object' || request === null) throw badRequest('davsync: a lock request must be an object');
  if (typeof request.path !== 'string' || !isMemberPath(request.path)) {
    throw badRequest(`davsync: not a member path in a lock request: ${JSON.stringify(request.path)}`);
  }
  if (request.scope !== 'exclusive' && request.scope !== 'shared') throw badRequest(`davsync: unknown lock scope: ${String(request.scope)}`);
  if (request.depth !== 0 && request.depth !== 'infinity') throw badRequest(`davsync: lock depth must be 0 or infinity: ${String(request.depth)}`);
  checkTimeout(request.timeout);
  if (request.owner !== undefined && typeof request.owner !== 'string') throw badRequest('davsync: a lock owner must be a string');
  if (request.owner !== undefined && request.owner.length > settings.maxOwnerLength) {
    throw badRequest(`davsync: the lock owner is longer than ${settings.maxOwnerLength} characters`);
  }
  if (request.principal !== undefined && typeof request.principal !== 'string') throw badRequest('davsync: a lock principal must be a string');
}

/** Throws `bad-request` unless `timeout` is whole seconds (≥ 0) or `'infinite'`. */
export function checkTimeout(timeout: number | 'infinite'): void {
  if (timeout === 'infinite') return;
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    throw badRequest(`davsync: a lock timeout must be whole seconds or 'infinite': ${String(timeout)}`);
  }
}

/** The timeout granted for one asked for: at most the cap, at least one second (`Second-0` would be gone at once). */
export function grantedSeconds(timeout: number | 'infinite', settings: LockSettings): number {
  return timeout === 'infinite' ? settings.maxTimeoutSeconds : Math.max(1, Math.min(timeout, settings.maxTimeoutSeconds));
}

/** A new lock token: a `urn:uuid:` URI (RFC 4918 §6.5 recommends it; random, so never reused). */
export function newLockToken(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** The lock a valid request is granted now (with a new token). */
export function grantLock(request: LockRequest, settings: LockSettings): ActiveLock {
  const timeoutSeconds = grantedSeconds(request.timeout, settings);
  return {
    token: newLockToken(),
    root: request.path,
    scope: request.scope,
    depth: request.depth,
    owner: request.owner,
    principal: request.principal,
    timeoutSeconds,
    expires: settings.now() + timeoutSeconds * 1000,
  };
}

/** Whether a lock is still live at `now`: expired locks are gone, whether or not a store has purged them. */
export const isLive = (lock: ActiveLock, now: number): boolean => lock.expires > now;

/** Whether `path` is in the lock's scope: its root, or below it for a depth-infinity lock. */
export function lockCovers(lock: Pick<ActiveLock, 'root' | 'depth'>, path: string): boolean {
  return lock.root === path || (lock.depth === 'infinity' && isWithin(path, lock.root));
}

/**
 * Whether granting `request` would conflict with the live lock `held`
 * (RFC 4918 §6.1–6.2, §7): their scopes overlap — one covers the other's
 * root — and one of them is exclusive. A store asks this of the candidates
 * its index finds: the locks covering the request's path, and for a
 * depth-infinity request the locks below it.
 */
export function conflictsWith(request: Pick<LockRequest, 'path' | 'scope' | 'depth'>, held: ActiveLock): boolean {
  if (request.scope === 'shared' && held.scope === 'shared') return false;
  return lockCovers(held, request.path) || lockCovers({ root: request.path, depth: request.depth }, held.root);
}

/** The refusal past the cap (`maxLocks`): the store cannot hold another lock (507 over HTTP). */
export function tooManyLocks(maxLocks: number): DavError {
  return new DavError('insufficient-storage', `this server holds its maximum of ${maxLocks} locks; try again when some have been released or expired`);
}

/**
 * The decision every store makes for a LOCK once it has found the candidate
 * locks (on the path and its ancestors, and for a depth-infinity request
 * those below it) and counted the live ones, inside whatever makes its
 * check-and-insert atomic: the conflicts, else the cap, else a new lock for
 * the store to keep.
 */
export function decideLock(request: LockRequest, candidates: readonly ActiveLock[], liveCount: number, settings: LockSettings): LockResult {
  const conflicts = candidates.filter((held) => conflictsWith(request, held));
  if (conflicts.length > 0) return { granted: false, conflicts };
  if (liveCount >= settings.maxLocks) throw tooManyLocks(settings.maxLocks);
  return { granted: true, lock: grantLock(request, settings) };
}

/**
 * `held` renewed for `timeout` from `now`, for the store to keep; undefined
 * when there is no such lock or it does not cover `path` (a refresh must
 * name a resource the lock applies to).
 */
export function refreshedLock(held: ActiveLock | undefined, path: string, timeout: number | 'infinite', settings: LockSettings, now: number): ActiveLock | undefined {
  if (held === undefined || !lockCovers(held, path)) return undefined;
  const timeoutSeconds = grantedSeconds(timeout, settings);
  return { ...held, timeoutSeconds, expires: now + timeoutSeconds * 1000 };
}
