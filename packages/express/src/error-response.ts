/**
 * The one place where errors become responses (EXAMPLES E6). A `DavError`
 * gets its status from the table and, where the protocol defines one, a
 * `DAV:error` body naming the condition; anything else is a bare 500 whose
 * detail goes to the log, never to the client. A parser's refusal (a
 * `ProtocolError` of `@davsync/protocol`) is first turned into the
 * `DavError` of the same name, here and nowhere else.
 */
import { DavError, type DavErrorCode } from '@davsync/core';
import { CLIENT_CLOSED_STATUS, ClientClosedError } from './client-closed';
import type { DavResponse } from './dav-request';
import { LockConditionError } from './locks/lock-errors';
import { clark, DAV_NS, errorBody, ProtocolError, type ProtocolErrorReason } from '@davsync/protocol';

interface Row {
  readonly status: number;
  /** The `DAV:` precondition or postcondition element of the error body. */
  readonly condition?: string;
  /** Seconds for a Retry-After header (RFC 9110 §10.2.3): the refusal is temporary. */
  readonly retryAfter?: number;
}

const TABLE: Record<DavErrorCode, Row> = {
  'not-found': { status: 404 },
  conflict: { status: 409 },
  'method-not-allowed': { status: 405 },
  'precondition-failed': { status: 412 },
  forbidden: { status: 403 },
  'bad-request': { status: 400 },
  'invalid-sync-token': { status: 403, condition: 'valid-sync-token' },
  'number-of-matches-within-limits': { status: 507, condition: 'number-of-matches-within-limits' },
  'supported-report': { status: 403, condition: 'supported-report' },
  'insufficient-storage': { status: 507 },
  'payload-too-large': { status: 413 },
  'uri-too-long': { status: 414 },
  'request-timeout': { status: 408 },
  unavailable: { status: 503 },
  'cross-server': { status: 502 },
  'unsupported-media-type': { status: 415 },
  busy: { status: 503, retryAfter: 1 },
  'not-recorded': { status: 500 },
  locked: { status: 423, condition: 'lock-token-submitted' },
};

/** Each protocol refusal is the server's error of the same name, so it answers as it always did. */
const FROM_PROTOCOL: Record<ProtocolErrorReason, DavErrorCode> = {
  'bad-request': 'bad-request',
  'payload-too-large': 'payload-too-large',
  'supported-report': 'supported-report',
};

/** The `DavError` a protocol refusal stands for: same code, same message. */
export function fromProtocolError(err: ProtocolError): DavError {
  return new DavError(FROM_PROTOCOL[err.reason], err.message);
}

/**
 * Errors that are the server's own failure (a store that is down or full):
 * reported to `onError` so the operator learns why, and answered without a
 * reason. The other 5xx answers keep theirs, being davsync's own words
 * about the request: a Destination on another server (502), a result limit
 * the client set too low (507), a collection busy recording writes (503,
 * with Retry-After), and a host's change that could not be recorded (500:
 * the cause was reported to `onError` where it happened).
 */
const SERVER_FAILURES: ReadonlySet<DavErrorCode> = new Set(['unavailable', 'insufficient-storage']);

/**
 * A limit the server sets for each client (unfinished uploads per user) was
 * reached: a refusal the client can act on, answered with its reason and
 * never reported to `onError`, even where its code (507) is otherwise a
 * failure of the server's own.
 */
export class ClientLimitError extends DavError {}

/** Status code of an error code. */
export function statusOf(code: DavErrorCode): number {
  return TABLE[code].status;
}

/** The response for anything thrown while handling a request. */
export function errorResponse(err: unknown, onError: (err: unknown) => void): DavResponse {
  // Not a failure of ours, and no one to answer: not reported, not a 500.
  if (err instanceof ClientClosedError) return { status: CLIENT_CLOSED_STATUS, headers: { 'content-length': '0' } };
  if (err instanceof ProtocolError) return errorResponse(fromProtocolError(err), onError);
  if (!(err instanceof DavError)) {
    onError(err);
    return { status: 500, headers: { 'content-length': '0' } };
  }
  const row = TABLE[err.code];
  const condition = err.condition ?? row.condition;
  // A refusal's reason tells the client what to fix. A failure of the
  // server's own is about the server (a database error names its host): its
  // message goes to the log, never to the client (the http-errors rule).
  // A quota the store enforces (RFC 4331 §6, DAV:quota-not-exceeded) is the
  // client's limit reached, not the server failing: answered with its reason, not logged.
  const serverFailure = SERVER_FAILURES.has(err.code) && condition !== 'quota-not-exceeded' && !(err instanceof ClientLimitError);
  if (serverFailure) onError(err);
  const headers: Record<string, string> = serverFailure ? {} : { 'x-davsync-reason': headerSafe(err.message) };
  if (row.status === 405) headers['allow'] = ALLOW;
  if (row.retryAfter !== undefined) headers['retry-after'] = String(row.retryAfter);
  // The unread rest of the body must not be taken for the next request.
  if (row.status === 413 || row.status === 408) headers['connection'] = 'close';
  if (condition === undefined) return { status: row.status, headers: { ...headers, 'content-length': '0' } };
  // A lock refusal names the lock roots in the way (RFC 4918 §16), as hrefs inside the condition.
  const hrefs = err instanceof LockConditionError ? err.hrefs : [];
  const body = errorBody({ name: clark(DAV_NS, condition), children: hrefs.map((href) => ({ name: clark(DAV_NS, 'href'), text: href })) });
  return {
    status: row.status,
    headers: { ...headers, 'content-type': 'application/xml; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

/** Methods the middleware implements, for Allow headers. */
export const ALLOW = 'OPTIONS, GET, HEAD, PUT, PATCH, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, REPORT, LOCK, UNLOCK';

/** A reason fit for a header: printable ASCII, bounded. */
function headerSafe(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
