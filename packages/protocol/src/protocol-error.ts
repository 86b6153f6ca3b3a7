/**
 * The protocol's one error type. A parser that refuses its input throws a
 * `ProtocolError` with a reason code and a short message safe to show a
 * client; nothing here knows which HTTP status that becomes. The server
 * (`@davsync/express`) maps each reason to its answer in one place; a
 * client reports the message.
 */

/**
 * Why a request or a header was refused. The names are those of the
 * server's error codes (`DavErrorCode` of the sync engine's package), so
 * the mapping is one to one.
 */
export type ProtocolErrorReason =
  /** Malformed: outside the grammar, over a limit other than the size, an unknown encoding. */
  | 'bad-request'
  /** The XML body is larger than its `maxBytes`. */
  | 'payload-too-large'
  /** A REPORT body names a report other than `DAV:sync-collection` (RFC 3253 §3.6). */
  | 'supported-report';

/** Every {@link ProtocolErrorReason}, for callers that map them. */
export const PROTOCOL_ERROR_REASONS: readonly ProtocolErrorReason[] = Object.freeze(['bad-request', 'payload-too-large', 'supported-report']);

/** A refusal of protocol input: a reason code and a short reason, always starting `davsync: `. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
  ) {
    super(message.startsWith('davsync:') ? message : `davsync: ${message}`);
  }
}

/** True for a {@link ProtocolError}, optionally of one reason. */
export function isProtocolError(err: unknown, reason?: ProtocolErrorReason): err is ProtocolError {
  return err instanceof ProtocolError && (reason === undefined || err.reason === reason);
}

/** A `bad-request` refusal. */
export const badRequest = (why: string): ProtocolError => new ProtocolError('bad-request', why);
