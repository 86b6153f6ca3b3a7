/**
 * Connections and transactions. Every mutation runs in one transaction on a
 * connection of its own from the pool: BEGIN, the work, COMMIT; any failure
 * rolls back, so a mutation and its journal entries are all there or none
 * is. A connection that failed mid-conversation is discarded rather than
 * handed to the next caller in an unknown state.
 */
import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { databaseError, isConnectionLoss } from './pg-errors';

/** A pool or one of its connections: what a single statement needs. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/** Runs one statement, mapping driver failures to `DavError`s. */
export async function query<R extends QueryResultRow>(db: Queryable, action: string, config: QueryConfig): Promise<R[]> {
  try {
    return (await db.query<R>(config)).rows;
  } catch (err) {
    throw databaseError(err, action);
  }
}

/** The error listener of each checked-out connection. */
const listeners = new WeakMap<PoolClient, (err: Error) => void>();

/**
 * Takes a connection from the pool, mapping "cannot connect" to
 * `unavailable`. While checked out, a connection the server ends (restart,
 * `pg_terminate_backend`, network cut) emits `error` between queries; the
 * pool only listens on idle ones, and an unheard `error` would crash the
 * process, so we listen: the next query on it fails and is reported.
 */
export async function connect(pool: Pool, action: string): Promise<PoolClient> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw databaseError(err, action);
  }
  const listener = (): void => undefined;
  client.on('error', listener);
  listeners.set(client, listener);
  return client;
}

/** Releases a connection, destroying it when it is broken. */
export function release(client: PoolClient, broken: boolean): void {
  const listener = listeners.get(client);
  if (listener !== undefined) {
    client.off('error', listener);
    listeners.delete(client);
  }
  client.release(broken ? true : undefined);
}

/**
 * Runs `work` in a transaction (READ COMMITTED, the default: statements run
 * after the clock lock see every transaction committed before it).
 */
export async function inTransaction<T>(pool: Pool, action: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool, action);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A failed ROLLBACK means the connection is gone (the server rolls back
    // by itself when it notices); either way it must not be reused.
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    broken = !rolledBack || isConnectionLoss(err);
    throw databaseError(err, action);
  } finally {
    release(client, broken);
  }
}
