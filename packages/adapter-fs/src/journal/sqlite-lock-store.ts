/**
 * The fs store's {@link LockStore}: WebDAV locks in the state database, so a
 * lock survives a restart within its timeout (RFC 4918 §6.6 lets a server
 * forget locks; a client editing a document across a server restart should
 * not find its lock gone). The rules — validation, granted timeout, what
 * conflicts — are core's (`lock.ts`); this class finds candidates through
 * the `locks_by_root` index and stores the outcome.
 *
 * `locksCovering` is one index seek per path segment (the path and each
 * ancestor, passed as a JSON array), never a scan; `locksBelow` one range
 * `path/` < root < `path0` (bytewise, so `/ab` is not below `/a`). `lock`
 * is one `BEGIN IMMEDIATE` transaction: the check and the insert cannot be
 * split by another connection, even another process on the same file.
 * Writes run on the main connection with `synchronous = FULL` (one fsync
 * per LOCK, UNLOCK or refresh: rare next to PUTs, whose journal commits go
 * to the writer thread).
 */
import {
  ancestorsOf,
  checkLockRequest,
  checkTimeout,
  decideLock,
  lockCovers,
  lockSettings,
  normalizePath,
  refreshedLock,
  STORED_LOCK_COLUMNS,
  lockOfRow,
  storedLockValues,
  subtreeBounds,
  type ActiveLock,
  type LockRequest,
  type LockResult,
  type LockSettings,
  type LockStore,
  type LockStoreOptions,
  type StoredLockRow,
} from '@davsync/core';
import { withStateDb, type StateDatabase } from './state-db';

type Row = StoredLockRow & { expires: number };

const COLUMNS = STORED_LOCK_COLUMNS;

/** The locks covering a path: `?` is the JSON array of the path and its ancestors, then the path, then now. Exported for its query-plan test. */
export const COVERING_SQL = `SELECT ${COLUMNS} FROM locks WHERE root IN (SELECT value FROM json_each(?)) AND (root = ? OR depth = 'infinity') AND expires > ?`;
/** The live locks strictly below a path: the bounds of `subtreeBounds`, then now. */
export const BELOW_SQL = `SELECT ${COLUMNS} FROM locks WHERE root > ? AND root < ? AND expires > ?`;

export class SqliteLockStore implements LockStore {
  readonly #db: StateDatabase;
  readonly #settings: LockSettings;
  readonly #covering: (path: string, now: number) => Row[];
  readonly #below: (path: string, now: number) => Row[];
  readonly #lock: (request: LockRequest) => LockResult;
  readonly #refresh: (token: string, path: string, timeout: number | 'infinite') => ActiveLock | undefined;
  readonly #unlock: (token: string, path: string) => boolean;
  readonly #removeWithin: (path: string) => number;
  readonly #purge: (now: number) => number;
  readonly #get: (token: string, now: number) => Row | undefined;
  readonly #count: (now: number) => number;

  /** A store over an open state database (from `openStateDb`); closing the database is the caller's business. */
  constructor(db: StateDatabase, options: LockStoreOptions = {}) {
    this.#db = db;
    const settings = (this.#settings = lockSettings(options));
    const covering = db.prepare<[string, string, number], Row>(COVERING_SQL);
    const below = db.prepare<[string, string, number], Row>(BELOW_SQL);
    const insert = db.prepare(`INSERT INTO locks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const byToken = db.prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM locks WHERE token = ? AND expires > ?`);
    const update = db.prepare('UPDATE locks SET timeout = ?, expires = ? WHERE token = ?');
    const remove = db.prepare('DELETE FROM locks WHERE token = ?');
    const removeWithin = db.prepare('DELETE FROM locks WHERE root = ? OR (root > ? AND root < ?)');
    const purge = db.prepare('DELETE FROM locks WHERE expires <= ?');
    // Bounded by the cap: the store never holds more than maxLocks rows once expired ones are purged.
    const count = db.prepare<[number], number>('SELECT count(*) FROM locks WHERE expires > ?').pluck();

    this.#covering = (path, now) => covering.all(JSON.stringify([path, ...ancestorsOf(path)]), path, now);
    this.#below = (path, now) => below.all(...subtreeBounds(path), now);
    this.#get = (token, now) => byToken.get(token, now);
    this.#count = (now) => count.get(now) as number;
    this.#purge = (now) => purge.run(now).changes;
    const lock = db.transaction((request: LockRequest): LockResult => {
      const now = settings.now();
      purge.run(now);
      const candidates = this.#covering(request.path, now);
      if (request.depth === 'infinity') candidates.push(...this.#below(request.path, now));
      const decided = decideLock(request, candidates.map(lockOfRow), count.get(now) as number, settings);
      if (!decided.granted) return decided;
      const l = decided.lock;
      insert.run(...storedLockValues(l));
      return decided;
    });
    this.#lock = (request) => lock.immediate(request);
    // Every write transaction is IMMEDIATE: one that read first and then
    // wrote could fail with SQLITE_BUSY when another connection (the
    // journal's writer thread, another process) committed in between.
    const refresh = db.transaction((token: string, path: string, timeout: number | 'infinite') => {
      const now = settings.now();
      const row = byToken.get(token, now);
      const lock = refreshedLock(row === undefined ? undefined : lockOfRow(row), path, timeout, settings, now);
      if (lock !== undefined) update.run(lock.timeoutSeconds, lock.expires, token);
      return lock;
    });
    this.#refresh = (token, path, timeout) => refresh.immediate(token, path, timeout);
    const unlock = db.transaction((token: string, path: string) => {
      const row = byToken.get(token, settings.now());
      if (row === undefined || !lockCovers(lockOfRow(row), path)) return false;
      remove.run(token);
      return true;
    });
    this.#unlock = (token, path) => unlock.immediate(token, path);
    const removeAll = db.transaction((path: string) => {
      purge.run(settings.now()); // so that only live locks are counted as removed
      return removeWithin.run(path, ...subtreeBounds(path)).changes;
    });
    this.#removeWithin = (path) => removeAll.immediate(path);
  }

  async lock(request: LockRequest): Promise<LockResult> {
    checkLockRequest(request, this.#settings);
    return withStateDb(this.#db, 'taking a lock', () => this.#lock(request));
  }

  async refresh(token: string, path: string, timeout: number | 'infinite'): Promise<ActiveLock | undefined> {
    checkTimeout(timeout);
    const p = normalizePath(path);
    return withStateDb(this.#db, 'refreshing a lock', () => this.#refresh(token, p, timeout));
  }

  async unlock(token: string, path: string): Promise<boolean> {
    const p = normalizePath(path);
    return withStateDb(this.#db, 'removing a lock', () => this.#unlock(token, p));
  }

  async get(token: string): Promise<ActiveLock | undefined> {
    const row = withStateDb(this.#db, 'reading a lock', () => this.#get(token, this.#settings.now()));
    return row === undefined ? undefined : lockOfRow(row);
  }

  async locksCovering(path: string): Promise<ActiveLock[]> {
    const p = normalizePath(path);
    return withStateDb(this.#db, 'reading locks', () => this.#covering(p, this.#settings.now())).map(lockOfRow);
  }

  async locksBelow(path: string): Promise<ActiveLock[]> {
    const p = normalizePath(path);
    return withStateDb(this.#db, 'reading locks', () => this.#below(p, this.#settings.now())).map(lockOfRow);
  }

  async removeWithin(path: string): Promise<number> {
    const p = normalizePath(path);
    return withStateDb(this.#db, 'removing locks', () => this.#removeWithin(p));
  }

  async purgeExpired(): Promise<number> {
    return withStateDb(this.#db, 'purging expired locks', () => this.#purge(this.#settings.now()));
  }

  async count(): Promise<number> {
    return withStateDb(this.#db, 'counting locks', () => this.#count(this.#settings.now()));
  }

  now(): number {
    return this.#settings.now();
  }
}
