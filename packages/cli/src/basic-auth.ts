/**
 * HTTP Basic authentication (RFC 7617) for `davsync serve`, and the header
 * `davsync changes` sends. One user, given on the command line or in the
 * environment.
 *
 * Basic sends the password in clear text (base64 is no encryption): over a
 * network, put davsync behind a TLS-terminating proxy.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { basicAuthorization } from '@davsync/protocol';
import { UsageError } from './errors';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** The realm clients show when they ask for a password. */
export const REALM = 'davsync';

/**
 * Reads `NAME:PASSWORD`. The name ends at the first colon (RFC 7617 §2: a
 * user-id cannot contain one), so the password may contain colons.
 *
 * @param source how the user gave it, for the error message (`--user`).
 * @throws UsageError for a missing colon or an empty name or password;
 *   the message never repeats the value.
 */
export function parseCredentials(spec: string, source = '--user'): Credentials {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UsageError(`${source} must be NAME:PASSWORD`);
  return checkCredentials({ user: spec.slice(0, colon), password: spec.slice(colon + 1) }, source);
}

/**
 * `DAVSYNC_USER` and `DAVSYNC_PASSWORD`, when set (a password in the
 * environment stays out of `ps` output and shell history, unlike `--user`).
 *
 * @throws UsageError when only one of them is set, or either is malformed.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials | undefined {
  const user = env['DAVSYNC_USER'] || undefined;
  const password = env['DAVSYNC_PASSWORD'] || undefined;
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined || password === undefined) throw new UsageError('set both DAVSYNC_USER and DAVSYNC_PASSWORD, or neither');
  return checkCredentials({ user, password }, 'DAVSYNC_USER');
}

function checkCredentials(c: Credentials, source: string): Credentials {
  if (c.user === '') throw new UsageError(`${source}: the user name is empty`);
  if (c.user.includes(':')) throw new UsageError(`${source}: a user name cannot contain ':'`);
  if (c.password === '') throw new UsageError(`${source}: the password is empty`);
  if (/[\0-\x1f\x7f]/.test(c.user + c.password)) throw new UsageError(`${source}: control characters are not allowed`);
  return c;
}

/** The `Authorization` header value for these credentials (UTF-8, RFC 7617 §2.1). */
export function authorizationHeader(c: Credentials): string {
  return basicAuthorization(c.user, c.password);
}

export interface BasicAuth {
  /** Whether an `Authorization` header carries exactly the configured credentials. */
  check(header: string | undefined): boolean;
  /** Answers 401 with the challenge. */
  challenge(res: ServerResponse): void;
}

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/**
 * A checker for one user.
 *
 * The comparison takes the same time whether the guess is close or not:
 * both sides are HMACed with a per-process random key into equal-length
 * digests, compared with `timingSafeEqual`. Comparing the strings directly
 * would stop at the first differing byte and leak, through response timing,
 * how much of a guess was right. The decoded bytes are compared, not a
 * decoded string, so invalid UTF-8 cannot collapse into U+FFFD and match.
 */
export function createBasicAuth(credentials: Credentials): BasicAuth {
  const key = randomBytes(32);
  const digest = (bytes: Buffer) => createHmac('sha256', key).update(bytes).digest();
  const expected = digest(Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8'));
  return {
    check(header) {
      const match = header === undefined ? null : BASIC.exec(header);
      const supplied = match ? Buffer.from(match[1] as string, 'base64') : undefined;
      // Hash and compare even when the header is absent or malformed, so
      // that case is not measurably faster than a wrong password.
      const same = timingSafeEqual(digest(supplied ?? Buffer.alloc(0)), expected);
      return same && supplied !== undefined;
    },
    challenge(res) {
      const body = 'authentication required\n';
      res.writeHead(401, {
        'www-authenticate': `Basic realm="${REALM}"`,
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
    },
  };
}
