/**
 * Modification times clients of the ownCloud dialect send: `X-OC-Mtime` on
 * PUT and the `DAV:lastmodified` property in PROPPATCH (both Unix seconds,
 * integer or decimal), and Windows' `Win32LastModifiedTime` property (an
 * HTTP-date, read by `http-date.ts`). None is in an RFC; see docs/clients.md.
 */
import { badRequest } from '../protocol-error';

/** 9999-12-31T23:59:59Z: later times are taken for garbage, not for dates. */
export const LATEST_CLIENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

const UNIX_SECONDS = /^(\d{1,15})(?:\.(\d{1,9}))?$/;

/**
 * Unix seconds (`1700000000`, `1700000000.25`) as a date, to the
 * millisecond (further digits are dropped). `undefined` for anything else:
 * a sign, an exponent, spaces inside, or a time after year 9999.
 *
 * @example parseUnixSeconds('1.5')?.getTime() === 1500
 */
export function parseUnixSeconds(text: string): Date | undefined {
  const m = UNIX_SECONDS.exec(text.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3));
  return ms <= LATEST_CLIENT_TIME_MS ? new Date(ms) : undefined;
}

/**
 * The `X-OC-Mtime` request header: `undefined` when absent.
 *
 * @throws ProtocolError `bad-request` for a value that is not Unix seconds
 *   from 1970 to 9999 (so nothing is stored with a time the client did not mean).
 */
export function parseOcMtime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseUnixSeconds(value);
  if (date === undefined) {
    throw badRequest(`davsync: X-OC-Mtime must be Unix seconds between 1970 and 9999, not ${JSON.stringify(value.slice(0, 40))}`);
  }
  return date;
}
