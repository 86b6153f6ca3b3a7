/**
 * WebDAV locks in PostgreSQL, shared by every instance on the database: a
 * LOCK taken through one instance blocks a conflicting LOCK (and, once the
 * HTTP layer checks it, a PUT) through any other. The rules — validation,
 * granted timeout, what conflicts — are core's (`lock.ts`); this class finds
 * candidates through the `locks_by_root` index and stores the outcome.
 *
 * **Why an advisory lock.** `lock` must be an atomic check-and-insert, but
 * what it checks is mostly *absent* rows (no lock on the path, on its
 * ancestors, below it), and `SELECT … FOR UPDATE` cannot lock a row that
 * does not exist; two instances could both find nothing and both insert.
 * So each `lock` transaction first takes a transaction-scoped advisory lock
 * on the store (`pg_advisory_xact_lock`, keyed by the schema name), then
 * reads and inserts. In READ COMMITTED every statement after the lock sees
 * what the previous holder committed (it releases the lock only after its
 * commit is visible), and a crash cannot leave the lock held. One key for
 * the whole store, rather than per path: a conflict spans ancestors and
 * descendants, so per-path keys would need a hierarchy of shared and
 * exclusive keys, and the `maxLocks` count needs one serialization point
 * anyway; LOCK requests are rare next to the check every write makes,
 * which takes no lock at all. `refresh`, `unlock` and `removeWithin` only
 * shorten or remove what exists, so a row lock (or none) is enough for them.
 *
 * Time is the instances' clock (`now`), so their clocks should agree
 * (NTP): a skew of s seconds moves an expiry by s seconds.
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
import type { Pool } from 'pg';
import { databaseError } from './pg-errors';
import { quoteSchema } from './schema';
import { inTransaction, query } from './transaction';

/** Options of {@link PostgresLockStore}. */
export interface PostgresLockStoreOptions extends LockStoreOptions {
  /** The pool (the store does not end it). */
  readonly pool: Pool;
  /** The PostgreSQL schema holding davsync's tables. Default `davsync`. */
  readonly schema?: string;
}

type Row = StoredLockRow;

const COLUMNS = STORED_LOCK_COLUMNS;

export class PostgresLockStore implements LockStore {
  readonly #pool: Pool;
  readonly #settings: LockSettings;
  readonly #key: string;
  readonly #sql: Readonly<Record<'covering' | 'below' | 'get' | 'getForUpdate' | 'insert' | 'update' | 'delete' | 'removeWithin' | 'purge' | 'count', string>>;

  constructor(options: PostgresLockStoreOptions) {
    const schema = options.schema ?? 'davsync';
    const s = quoteSchema(schema);
    this.#pool = options.pool;
    this.#settings = lockSettings(options);
    this.#key = `davsync locks ${schema}`;
    this.#sql = {
      covering: `SELECT ${COLUMNS} FROM ${s}.locks WHERE root = ANY ($1::text[]) AND (root = $2 OR depth = 'infinity') AND expires > $3`,
      below: `SELECT ${COLUMNS} FROM ${s}.locks WHERE root > $1 AND root < $2 AND expires > $3`,
      get: `SELECT ${COLUMNS} FROM ${s}.locks WHERE token = $1 AND expires > $2`,
      getForUpdate: `SELECT ${COLUMNS} FROM ${s}.locks WHERE token = $1 AND expires > $2 FOR UPDATE`,
      insert: `INSERT INTO ${s}.locks (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      update: `UPDATE ${s}.locks SET timeout = $2, expires = $3 WHERE token = $1`,
      delete: `DELETE FROM ${s}.locks WHERE token = $1`,
      removeWithin: `DELETE FROM ${s}.locks WHERE root = $1 OR (root > $2 AND root < $3) RETURNING expires`,
      purge: `DELETE FROM ${s}.locks WHERE expires <= $1`,
      // Bounded by the cap: live rows never exceed maxLocks.
      count: `SELECT count(*) AS n FROM ${s}.locks WHERE expires > $1`,
    };
  }

  /** The SQL of the check every write makes, for its query-plan test. */
  get coveringSql(): string {
    return this.#sql.covering;
  }

  async lock(request: LockRequest): Promise<LockResult> {
    checkLockRequest(request, this.#settings);
    const settings = this.#settings;
    return inTransaction(this.#pool, 'taking a lock', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#key]);
      const now = settings.now();
      await client.query(this.#sql.purge, [now]);
      const rows = (await client.query<Row>(this.#sql.covering, [[request.path, ...ancestorsOf(request.path)], request.path, now])).rows;
      if (request.depth === 'infinity') rows.push(...(await client.query<Row>(this.#sql.below, [...subtreeBounds(request.path), now])).rows);
      const count = Number((await client.query<{ n: string }>(this.#sql.count, [now])).rows[0]?.n ?? 0);
      const decided = decideLock(request, rows.map(lockOfRow), count, settings);
      if (!decided.granted) return decided;
      const l = decided.lock;
      await client.query(this.#sql.insert, storedLockValues(l));
      return decided;
    });
  }

  async refresh(token: string, path: string, timeout: number | 'infinite'): Promise<ActiveLock | undefined> {
    checkTimeout(timeout);
    const p = normalizePath(path);
    const settings = this.#settings;
    return inTransaction(this.#pool, 'refreshing a lock', async (client) => {
      const now = settings.now();
      const row = (await client.query<Row>(this.#sql.getForUpdate, [token, now])).rows[0];
      const lock = refreshedLock(row === undefined ? undefined : lockOfRow(row), p, timeout, settings, now);
      if (lock !== undefined) await client.query(this.#sql.update, [token, lock.timeoutSeconds, lock.expires]);
      return lock;
    });
  }

  async unlock(token: string, path: string): Promise<boolean> {
    const p = normalizePath(path);
    return inTransaction(this.#pool, 'removing a lock', async (client) => {
      const row = (await client.query<Row>(this.#sql.getForUpdate, [token, this.#settings.now()])).rows[0];
      if (row === undefined || !lockCovers(lockOfRow(row), p)) return false;
      await client.query(this.#sql.delete, [token]);
      return true;
    });
  }

  async get(token: string): Promise<ActiveLock | undefined> {
    const rows = await query<Row>(this.#pool, 'reading a lock', { text: this.#sql.get, values: [token, this.#settings.now()] });
    return rows[0] === undefined ? undefined : lockOfRow(rows[0]);
  }

  async locksCovering(path: string): Promise<ActiveLock[]> {
    const p = normalizePath(path);
    const values = [[p, ...ancestorsOf(p)], p, this.#settings.now()];
    return (await query<Row>(this.#pool, 'reading locks', { text: this.#sql.covering, values })).map(lockOfRow);
  }

  async locksBelow(path: string): Promise<ActiveLock[]> {
    const p = normalizePath(path);
    return (await query<Row>(this.#pool, 'reading locks', { text: this.#sql.below, values: [...subtreeBounds(p), this.#settings.now()] })).map(lockOfRow);
  }

  async removeWithin(path: string): Promise<number> {
    const p = normalizePath(path);
    const now = this.#settings.now();
    const rows = await query<{ expires: string }>(this.#pool, 'removing locks', { text: this.#sql.removeWithin, values: [p, ...subtreeBounds(p)] });
    return rows.filter((r) => Number(r.expires) > now).length; // expired ones were gone already
  }

  async purgeExpired(): Promise<number> {
    try {
      return (await this.#pool.query(this.#sql.purge, [this.#settings.now()])).rowCount ?? 0;
    } catch (err) {
      throw databaseError(err, 'purging expired locks');
    }
  }

  async count(): Promise<number> {
    const rows = await query<{ n: string }>(this.#pool, 'counting locks', { text: this.#sql.count, values: [this.#settings.now()] });
    return Number(rows[0]?.n ?? 0);
  }

  now(): number {
    return this.#settings.now();
  }
}
