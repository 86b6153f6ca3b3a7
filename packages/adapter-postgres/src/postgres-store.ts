/**
 * A ready-to-serve PostgreSQL store: a connection pool, the schema created
 * or migrated, the adapter (with its journal), the shared lock store and a
 * sync engine over them.
 * Start one per app instance, all pointing at the same database: they serve
 * the same tree and honour each other's sync tokens.
 */
import { Pool, type PoolConfig } from 'pg';
import { SyncEngine, type LockLimits, type SyncEngineOptions } from '@davsync/core';
import { PostgresLockStore } from './postgres-lock-store';
import { PostgresPushRegistrationStore } from './postgres-push-registration-store';
import { PostgresRevocationLog } from './postgres-revocation-log';
import { PostgresAdapter } from './postgres-adapter';
import { migrate } from './schema';

export interface PostgresStoreOptions {
  /** `postgresql://user:password@host:port/database`; or give `pool`. */
  readonly connectionString?: string;
  /** A pool of your own (the store does not end it); or give `connectionString`. */
  readonly pool?: Pool;
  /**
   * Pool settings when the store makes the pool. Defaults: 10 connections,
   * 5 s to connect (then requests fail with 503 instead of waiting), idle
   * connections closed after 30 s.
   */
  readonly poolOptions?: Omit<PoolConfig, 'connectionString'>;
  /** The PostgreSQL schema for davsync's tables, created if missing. Default `davsync`. */
  readonly schema?: string;
  /** Largest body accepted, in bytes. Default 1 GiB. */
  readonly maxBodyBytes?: number;
  /** Bytes of file content the store may hold (RFC 4331 quota; see `PostgresAdapterOptions.quotaBytes`). Default: no limit. */
  readonly quotaBytes?: number;
  /** Engine options (page size, retention, …). */
  readonly engine?: Omit<SyncEngineOptions, 'adapter' | 'journal'>;
  /**
   * Limits of the WebDAV locks, kept in the database and shared by every
   * instance (`engine.locks`, a `PostgresLockStore`): how many, the longest
   * timeout, the longest owner. Give every instance the same. Defaults:
   * core's `LOCK_DEFAULTS`.
   */
  readonly locks?: LockLimits;
  /** Connection errors of idle pooled connections (the database restarted). Default: console.warn. */
  readonly onWarning?: (message: string) => void;
}

export interface PostgresStore {
  readonly adapter: PostgresAdapter;
  readonly engine: SyncEngine;
  readonly pool: Pool;
  /** WebDAV-Push registrations shared by every instance: pass as the middleware's `push.store`. */
  readonly pushRegistrations: PostgresPushRegistrationStore;
  /** Ends the pool if the store made it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects, creates or migrates the schema, and returns the store.
 *
 * @throws DavError('unavailable') when the database cannot be reached or
 *   its schema is newer than this davsync.
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL });
 * app.use(davsync({ engine: store.engine }));
 * process.on('SIGTERM', () => store.close());
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new TypeError('davsync: give openPostgresStore either connectionString or pool');
  }
  const owned = options.pool === undefined;
  const pool =
    options.pool ??
    new Pool({
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      max: 10,
      ...options.poolOptions,
      connectionString: options.connectionString,
    });
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  // Without a listener, an idle connection dropped by a database restart
  // would crash the process; the pool replaces it on next use.
  const onError = (err: Error): void => warn(`davsync: a pooled PostgreSQL connection failed: ${err.message}`);
  pool.on('error', onError);
  const schema = options.schema ?? 'davsync';
  try {
    await migrate(pool, schema);
  } catch (err) {
    if (owned) await pool.end();
    throw err;
  }
  const adapter = new PostgresAdapter({
    pool,
    schema,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes }),
    ...(options.engine?.now === undefined ? {} : { now: options.engine.now }),
  });
  // The adapter records its own mutations in its journal; the engine is given that journal.
  const now = options.engine?.now;
  const locks = new PostgresLockStore({ ...options.locks, pool, schema, ...(now === undefined ? {} : { now }) });
  const engine = new SyncEngine({
    revocations: new PostgresRevocationLog({ pool, schema }),
    locks,
    onWarning: warn,
    ...options.engine,
    adapter,
    journal: adapter.journal,
  });
  let closed = false;
  return {
    adapter,
    engine,
    pool,
    pushRegistrations: new PostgresPushRegistrationStore({ pool, schema, ...(now === undefined ? {} : { now }) }),
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.close();
      // A pool we made keeps the listener: `end()` can resolve while a
      // connection is still closing, and a server that terminates it then
      // (a dropped database, a shutdown) would otherwise crash the process.
      if (owned) await pool.end();
      else pool.off('error', onError);
    },
  };
}
