/**
 * Driver failures turned into what a client should see. The database being
 * down, restarting, out of connections or unreachable is `unavailable`
 * (503: try again later); a full disk is `insufficient-storage` (507).
 * Anything else (a constraint the code should have prevented, a syntax
 * error) is a bug and is passed on unchanged, to become a 500.
 */
import { DavError } from '@davsync/core';

/** SQLSTATE classes that mean the server, not the request, is at fault. */
const UNAVAILABLE_CLASSES = new Set([
  '08', // connection exception
  '53', // insufficient resources (too many connections, out of memory)
  '57', // operator intervention (shutdown, cancelled by statement_timeout)
  '58', // system error (I/O)
  'XX', // internal error
]);

/** Serialization failures and deadlocks: nothing happened; a retry may succeed. */
const RETRYABLE = new Set(['40001', '40P01', '55P03']);

/** Node socket errors on the way to the server. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOENT']);

/** What node-postgres throws without a code when the connection goes away or the pool gives up. */
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Client was closed|connection is closed|Query read timeout/i;

/**
 * The `DavError` a driver error stands for, or the error itself when it is
 * not a database condition (a `DavError` thrown inside a transaction, a bug).
 */
export function databaseError(err: unknown, action: string): unknown {
  if (err instanceof DavError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === '53100') return withCause(new DavError('insufficient-storage', `the database is out of disk space while ${action}`), err);
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || RETRYABLE.has(code) || NETWORK.has(code))) ||
    DRIVER_MESSAGES.test(message);
  if (unavailable) {
    const what = typeof code === 'string' ? `${code}: ${message}` : message;
    return withCause(new DavError('unavailable', `the database cannot be used while ${action} (${what})`), err);
  }
  return err;
}

/** True when the connection an error came from should not go back to the pool. */
export function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || NETWORK.has(code))) return true;
  return DRIVER_MESSAGES.test(err instanceof Error ? err.message : String(err));
}

function withCause(error: DavError, cause: unknown): DavError {
  (error as Error).cause = cause;
  return error;
}
