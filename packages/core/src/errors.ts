/**
 * Errors that must reach a client are typed values with a `code`. The core
 * knows no HTTP: the middleware owns the one table that maps each code to a
 * status and a `DAV:error` body.
 */

/** Every condition the core and adapters can report to a client. */
export type DavErrorCode =
  /** The target does not exist. */
  | 'not-found'
  /** A parent collection is missing, or the target's type does not allow the operation (RFC 4918 §9.7.1, §9.3.1). */
  | 'conflict'
  /** MKCOL on an existing member, or a method the target does not allow. */
  | 'method-not-allowed'
  /** A precondition (If, If-Match, If-None-Match, Overwrite: F) is false. */
  | 'precondition-failed'
  /** The operation is refused (e.g. COPY onto itself, a path outside the store). */
  | 'forbidden'
  /** The request is malformed. */
  | 'bad-request'
  /** RFC 6578 §3.2: DAV:valid-sync-token precondition failed. */
  | 'invalid-sync-token'
  /** RFC 6578 §3.7 / RFC 3744 §9.2: the client limit cannot be honoured. */
  | 'number-of-matches-within-limits'
  /** RFC 6578 §3.3 / RFC 3253 §3.6: the report is not supported on this resource. */
  | 'supported-report'
  /** The store is out of space. */
  | 'insufficient-storage'
  /** The request body or a value in it is larger than allowed. */
  | 'payload-too-large'
  /** The request target is longer than allowed. */
  | 'uri-too-long'
  /** The client stopped sending the request body for too long. */
  | 'request-timeout'
  /** The store cannot serve the request right now (e.g. a database is unreachable). */
  | 'unavailable'
  /** A COPY/MOVE destination on another server (RFC 4918 §9.8.5). */
  | 'cross-server'
  /** A request body of a type the method does not accept (e.g. MKCOL with a body, RFC 4918 §9.3). */
  | 'unsupported-media-type'
  /**
   * The target is busy and the request may be retried shortly (wrap mode:
   * writes to the collection are still being recorded, so a sync-token
   * precondition cannot be decided yet).
   */
  | 'busy'
  /** A change was made but could not be recorded in the journal (wrap mode: the host made it). */
  | 'not-recorded'
  /**
   * RFC 4918 §11.3: the target (or a member a DELETE or MOVE takes along) is
   * locked and the request did not submit the lock's token, or a LOCK
   * conflicts with a lock held (423).
   */
  | 'locked';

/** A condition to report to the client, with a short reason safe to expose. */
export class DavError extends Error {
  override readonly name = 'DavError';
  constructor(
    readonly code: DavErrorCode,
    message: string,
    /** The member path the condition is about, when there is one. */
    readonly path?: string,
    /**
     * A more specific precondition or postcondition (the local name of a
     * `DAV:` element of RFC 4918 §16 and its extensions, e.g.
     * `cannot-modify-protected-property`) for the client's error body.
     */
    readonly condition?: string,
  ) {
    super(message.startsWith('davsync:') ? message : `davsync: ${message}`);
  }
}

/** True for a {@link DavError}, optionally of one code. */
export function isDavError(err: unknown, code?: DavErrorCode): err is DavError {
  return err instanceof DavError && (code === undefined || err.code === code);
}

export const notFound = (path: string): DavError => new DavError('not-found', `no member at ${path}`, path);

export const conflict = (path: string, why: string): DavError => new DavError('conflict', `${why}: ${path}`, path);

export const invalidSyncToken = (why: string): DavError => new DavError('invalid-sync-token', `invalid sync token: ${why}`);

export const preconditionFailed = (why: string, path?: string): DavError =>
  new DavError('precondition-failed', `precondition failed: ${why}`, path);

export const badRequest = (why: string): DavError => new DavError('bad-request', why);

export const forbidden = (why: string, path?: string): DavError => new DavError('forbidden', why, path);

export const methodNotAllowed = (path: string, why: string): DavError => new DavError('method-not-allowed', `${why}: ${path}`, path);
