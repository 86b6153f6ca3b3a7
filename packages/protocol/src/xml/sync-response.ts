/**
 * The client side of RFC 6578: reading a `sync-collection` REPORT's 207
 * answer, and the `DAV:error` of a refused one. The server never needs
 * this; it is here so clients (the `davsync changes` command, tests, your
 * own sync loop) read responses with the same hardened XML reader the
 * server uses for requests, instead of pattern-matching XML text.
 */
import { readMultistatusEach, propText, type MultistatusLimits } from './multistatus-response';
import { DAV } from './names';
import { parseXmlIfPresent, type XmlElement, type XmlInput } from './reader';

/** What a `DAV:response` in a sync answer says happened to a member (RFC 6578 §3.5). */
export type SyncChangeType = 'changed' | 'removed' | 'forbidden';

/** One member in a sync answer. */
export interface SyncResponseEntry {
  /**
   * `changed`: new or modified since the token (the response has propstats);
   * `removed`: gone (status 404); `forbidden`: a child collection an
   * infinite-level sync cannot descend into (status 403, RFC 6578 §3.3).
   */
  readonly type: SyncChangeType;
  /** The `DAV:href` exactly as sent: percent-encoded, a path or an absolute URI. */
  readonly href: string;
  /** 200 for a changed member (its properties came in propstats), else the response's own status. */
  readonly status: number;
  /** The `DAV:getetag` of a changed member, quotes included, when the server returned it. */
  readonly etag: string | undefined;
  /** The conditions in the response's `DAV:error`, as Clark names (e.g. `{DAV:}sync-traversal-supported`). */
  readonly conditions: readonly string[];
}

/** A {@link SyncResponseEntry} with every property the server returned for it. */
export interface SyncAnswerEntry extends SyncResponseEntry {
  /**
   * Every property a changed member's 2xx propstats carried, by Clark name
   * (a client asking for `DAV:resourcetype` or `oc:fileid` reads them
   * here); `{}` for a removed or forbidden member.
   */
  readonly props: Readonly<Record<string, XmlElement>>;
}

/** {@link readSyncAnswer}'s result: a {@link SyncResponse} whose entries carry their properties. */
export interface SyncAnswer extends SyncResponse {
  readonly responses: readonly SyncAnswerEntry[];
}

/** A whole sync answer. */
export interface SyncResponse {
  /** The members, in the order the server sent them (the 507 truncation marker is not one). */
  readonly responses: readonly SyncResponseEntry[];
  /** The new `DAV:sync-token`: send it next time to get only what changed after this answer. */
  readonly token: string;
  /**
   * The server stopped early (a 507 response for the request-URI, RFC 6578
   * §3.6): ask again with {@link token} for the rest.
   */
  readonly truncated: boolean;
}

/** Bounds for reading a response; generous, since a big collection's first sync is a big document. */
export type SyncResponseLimits = MultistatusLimits;

/**
 * Reads the body of a 207 answer to a `sync-collection` REPORT.
 *
 * Accepts a string, bytes, or the chunks as they arrive (a `fetch`
 * response's `body` is one). The document must be a `DAV:multistatus` with
 * a `DAV:sync-token`; every `DAV:response` must be a changed member
 * (propstats), a removed one (404) or a forbidden one (403), except the
 * 507 that marks a truncated answer.
 *
 * @throws Error (message `davsync: not a sync-collection response: …`) for
 *   anything else, malformed XML included.
 * @example
 * const res = await fetch(url, { method: 'REPORT', headers: { 'content-type': 'application/xml' }, body });
 * if (res.status === 207) {
 *   const { responses, token, truncated } = await readSyncResponse(await res.text());
 * }
 */
export async function readSyncResponse(input: XmlInput, limits: SyncResponseLimits = {}): Promise<SyncResponse> {
  const answer = await readSyncAnswer(input, limits);
  return { ...answer, responses: answer.responses.map(({ props: _props, ...entry }) => entry) };
}

/**
 * {@link readSyncResponse}, with each changed member's properties kept: for
 * a client that asked for more than `DAV:getetag` (`@davsync/client` asks
 * for `DAV:resourcetype`, size, modification time and `oc:fileid`).
 */
export async function readSyncAnswer(input: XmlInput, limits: SyncResponseLimits = {}): Promise<SyncAnswer> {
  const responses: SyncAnswerEntry[] = [];
  const { token, truncated } = await readSyncAnswerEach(input, (entry) => responses.push(entry), limits);
  return { responses, token, truncated };
}

/**
 * {@link readSyncAnswer}, each member handed to `onEntry` as it is read and
 * then dropped (see `readMultistatusEach`): a first sync's answer, which
 * lists every member, is read in the memory of one member at a time. The
 * members come before the document is known to be whole — the promise can
 * still reject after some were handed over; the token and the truncation
 * come at the end.
 */
export async function readSyncAnswerEach(input: XmlInput, onEntry: (entry: SyncAnswerEntry) => void, limits: SyncResponseLimits = {}): Promise<Omit<SyncAnswer, 'responses'>> {
  let truncated = false;
  const answer = await readMultistatusEach(
    input,
    (entry) => {
      const { hrefs, conditions } = entry;
      if (entry.kind === 'propstat') {
        onEntry({ type: 'changed', href: hrefs[0] as string, status: 200, etag: propText(entry, DAV.getetag), conditions, props: entry.props });
      } else if (entry.status === 507) {
        truncated = true;
      } else if (entry.status === 404 || entry.status === 403) {
        // RFC 4918 §14.24 lets one status response name several hrefs.
        const type = entry.status === 404 ? 'removed' : 'forbidden';
        for (const href of hrefs) onEntry({ type, href, status: entry.status, etag: undefined, conditions, props: {} });
      } else {
        throw invalid(`the response for ${hrefs[0]} has status ${entry.status}, which RFC 6578 does not define`);
      }
    },
    limits,
    'sync-collection response',
  );
  if (answer.syncToken === undefined) throw invalid('no DAV:sync-token');
  return { token: answer.syncToken, truncated };
}

/**
 * The conditions of a `DAV:error` body (RFC 4918 §16, RFC 6578 §3.2), as
 * Clark names — e.g. `['{DAV:}valid-sync-token']` for the 403 that says a
 * sync token is no longer accepted and a full sync is needed.
 *
 * Best effort for reporting errors: an empty, malformed or other body gives
 * `[]`, never an exception.
 */
export async function readDavError(input: XmlInput): Promise<string[]> {
  try {
    const root = await parseXmlIfPresent(input);
    return root?.name === DAV.error ? root.children.map((c) => c.name) : [];
  } catch {
    return [];
  }
}

function invalid(why: string): Error {
  return new Error(`davsync: not a sync-collection response: ${why}`);
}
