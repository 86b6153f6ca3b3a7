/**
 * How talking to the server fails, as one line a person can act on. The
 * sync loop decides by `kind` (retry later, stop, re-plan the path); the
 * CLI prints `message` as it is.
 */

/**
 * - `connection`: no answer (refused, reset, DNS, timeout);
 * - `tls`: the TLS handshake failed (certificate not trusted, expired, wrong name);
 * - `auth`: 401;
 * - `precondition`: 412 — the resource changed since the ETag we had (or
 *   exists when we asked for a new one); the caller re-plans, nothing is overwritten;
 * - `not-found`: 404 where something was expected;
 * - `status`: any other unexpected status;
 * - `protocol`: an answer that is not what WebDAV says it should be.
 */
export type RemoteErrorKind = 'connection' | 'tls' | 'auth' | 'precondition' | 'not-found' | 'status' | 'protocol';

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export function isRemoteError(err: unknown, kind?: RemoteErrorKind): err is RemoteError {
  return err instanceof RemoteError && (kind === undefined || err.kind === kind);
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** OpenSSL's verification codes (as Node reports them) for the certificate problems people meet. */
const TLS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is not signed by a trusted authority',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for another host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (http:// instead of https://?)',
};

/**
 * The error for a `fetch` that got no answer: undici puts the socket or
 * TLS error in `cause` (an AggregateError when happy eyeballs tried
 * several addresses).
 */
export function connectionError(url: string, err: unknown): RemoteError {
  let cause = (err as { cause?: unknown }).cause ?? err;
  const errors = (cause as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) cause = errors[0];
  const code = (cause as { code?: unknown }).code;
  const origin = new URL(url).origin;
  if (typeof code === 'string' && code in TLS) return new RemoteError('tls', `TLS with ${origin} failed: ${TLS[code]} (${code})`);
  if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return new RemoteError('tls', `TLS with ${origin} failed: ${code}`);
  const why = typeof code === 'string' ? (NETWORK[code] ?? code) : firstLine(cause);
  return new RemoteError('connection', `cannot connect to ${origin}: ${why}`);
}

function firstLine(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  return text.split(/\r?\n/)[0]?.trim() || 'unknown error';
}
