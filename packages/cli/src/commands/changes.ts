/**
 * `davsync changes URL`: one sync-collection REPORT (RFC 6578 §3.2) and its
 * answer as a table — the smallest complete sync client, for trying a
 * server out and for seeing what a token covers.
 */
import { STATUS_CODES } from 'node:http';
import { readDavError, readSyncResponse, syncCollectionBody as buildSyncCollectionBody, type SyncResponse } from '@davsync/protocol';
import { authorizationHeader, type Credentials } from '../basic-auth';
import { displayHref } from '../display-href';
import { CliError, describeErrno, oneLine } from '../errors';
import type { LineSink } from '../log';

export interface ChangesOptions {
  /** The collection to ask (http or https, no credentials in it). */
  readonly url: string;
  /** The token from the last answer; absent for an initial (full) sync. */
  readonly token?: string;
  /** `1`: direct members; `infinite`: the whole tree (RFC 6578 §3.3). */
  readonly level: '1' | 'infinite';
  /** Ask for at most this many results (RFC 6578 §3.7); the answer is then truncated. */
  readonly limit?: number;
  readonly credentials?: Credentials;
  /** Print the answer as one JSON document (raw hrefs) instead of the table (decoded names). */
  readonly json?: boolean;
}

const VALID_SYNC_TOKEN = '{DAV:}valid-sync-token';

/**
 * The REPORT body (RFC 6578 §6.1: sync-token, sync-level, limit?, prop — in
 * that order), asking for `DAV:getetag`; built by the protocol package's
 * xmlbuilder2 builder, the one a sync client uses too.
 */
export function syncCollectionBody(options: Pick<ChangesOptions, 'token' | 'level' | 'limit'>): string {
  return buildSyncCollectionBody({ token: options.token, level: options.level, limit: options.limit });
}

/**
 * Sends the REPORT and reads the 207.
 *
 * @throws CliError with one line for: no connection, 401, 403
 *   valid-sync-token (the token refused: a full sync is needed), any other
 *   status, or a 207 that is not a sync-collection answer.
 */
export async function fetchChanges(options: ChangesOptions): Promise<SyncResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/xml; charset=utf-8' };
  if (options.credentials !== undefined) headers['authorization'] = authorizationHeader(options.credentials);
  let res: Response;
  try {
    res = await fetch(options.url, { method: 'REPORT', headers, body: syncCollectionBody(options) });
  } catch (err) {
    throw new CliError(`cannot connect to ${new URL(options.url).origin}: ${connectionProblem(err)}`);
  }
  // Read as it streams (a fetch body is an async iterable of byte chunks):
  // the reader stops, and the download with it, once a size limit is passed.
  const body = res.body ?? '';
  if (res.status === 207) {
    try {
      return await readSyncResponse(body);
    } catch (err) {
      throw new CliError(oneLine(err));
    }
  }
  const conditions = await readDavError(body);
  if (res.status === 403 && conditions.includes(VALID_SYNC_TOKEN)) throw new CliError(refusedToken(res.headers.get('x-davsync-reason')));
  const what = `REPORT ${options.url}: ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trimEnd();
  if (res.status === 401) {
    throw new CliError(`${what} (${options.credentials === undefined ? 'give --user NAME:PASSWORD, or set DAVSYNC_USER and DAVSYNC_PASSWORD' : 'wrong user name or password'})`);
  }
  // davsync says why in a header; other servers may name a DAV:error condition.
  const reason = res.headers.get('x-davsync-reason') ?? conditions.map((c) => c.replace('{DAV:}', 'DAV:')).join(', ');
  throw new CliError(reason === '' ? what : `${what} (${reason.replace(/^davsync: /, '')})`);
}

/**
 * The answer as a table (names decoded, see `display-href.ts`), then the
 * token and whether there is more:
 *
 *     TYPE     HREF          ETAG
 *     changed  /notes.txt    "1a2b-5-xyz"
 *     removed  /old.txt
 *     sync-token: urn:x-davsync:sync:…:7
 *     truncated: no
 */
export function formatChanges(result: SyncResponse): string {
  const lines: string[] = [];
  if (result.responses.length === 0) {
    lines.push('no changes');
  } else {
    const rows = [['TYPE', 'HREF', 'ETAG'], ...result.responses.map((r) => [r.type, displayHref(r.href), r.etag ?? ''])];
    const typeWidth = Math.max(...rows.map((r) => (r[0] as string).length));
    const hrefWidth = Math.max(...rows.map((r) => (r[1] as string).length));
    for (const [type, href, etag] of rows) {
      lines.push(`${(type as string).padEnd(typeWidth)}  ${(href as string).padEnd(hrefWidth)}  ${etag}`.trimEnd());
    }
  }
  lines.push(`sync-token: ${result.token}`);
  lines.push(result.truncated ? 'truncated: yes (there is more: run again with this token)' : 'truncated: no');
  return `${lines.join('\n')}\n`;
}

/**
 * The answer for scripts: one JSON document with the hrefs exactly as the
 * server sent them (percent-encoded), `etag` null when absent.
 */
export function formatChangesJson(result: SyncResponse): string {
  const responses = result.responses.map((r) => ({ type: r.type, href: r.href, status: r.status, etag: r.etag ?? null, conditions: r.conditions }));
  return `${JSON.stringify({ token: result.token, truncated: result.truncated, responses }, null, 2)}\n`;
}

/** The command: fetch, print, exit 0 (errors are thrown as {@link CliError}). */
export async function changesCommand(options: ChangesOptions, out: LineSink = process.stdout): Promise<number> {
  const result = await fetchChanges(options);
  out.write(options.json === true ? formatChangesJson(result) : formatChanges(result));
  return 0;
}

/**
 * Why a token was refused. RFC 6578 gives one condition for every case — a
 * token that was never the server's, one for another collection, one older
 * than the history it keeps — so without more from the server, the message
 * names them all rather than guess. A davsync server says which in
 * `X-Davsync-Reason`; other servers' tokens have forms of their own, so the
 * token is not judged here.
 */
function refusedToken(reason: string | null): string {
  const why = reason === null ? 'not one of its tokens for this collection, or too old' : reason.replace(/^davsync: /, '').replace(/^invalid sync token: /, '');
  return `the server refused the sync token (403 valid-sync-token: ${why}); run again without --token for a full sync`;
}

/** Why fetch could not get an answer: undici puts the socket error in `cause`. */
function connectionProblem(err: unknown): string {
  let cause = (err as { cause?: unknown }).cause ?? err;
  // Happy eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError of both.
  const errors = (cause as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) cause = errors[0];
  const code = (cause as NodeJS.ErrnoException).code;
  return describeErrno(code) ?? oneLine(cause);
}
