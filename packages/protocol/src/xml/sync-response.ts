/**
 * The client side of RFC 6578: reading a `sync-collection` REPORT's 207
 * answer, and the `DAV:error` of a refused one. The server never needs
 * this; it is here so clients (the `davsync changes` command, tests, your
 * own sync loop) read responses with the same hardened XML reader the
 * server uses for requests, instead of pattern-matching XML text.
 */
import { ProtocolError } from '../protocol-error';
import { DAV } from './names';
import { DEFAULT_XML_LIMITS, childrenNamed, parseXmlIfPresent, trimXmlSpace, type XmlElement, type XmlInput } from './reader';

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
export interface SyncResponseLimits {
  /** Largest body accepted, in bytes. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Most elements accepted. Default 2 000 000 (~250 000 members with an ETag each). */
  readonly maxElements?: number;
}

const RESPONSE_LIMITS = {
  maxBytes: 64 * 1024 * 1024,
  maxElements: 2_000_000,
  maxDepth: DEFAULT_XML_LIMITS.maxDepth,
  // Any property value a server chose to return sits in one text node.
  maxTextLength: 1024 * 1024,
};

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
  let root: XmlElement | undefined;
  try {
    root = await parseXmlIfPresent(input, { ...RESPONSE_LIMITS, ...limits });
  } catch (err) {
    throw invalid(err instanceof ProtocolError ? err.message.replace(/^davsync: /, '') : String(err), err);
  }
  if (root === undefined) throw invalid('the body is empty');
  if (root.name !== DAV.multistatus) throw invalid(`the document is ${root.name}, not {DAV:}multistatus`);
  const responses: SyncResponseEntry[] = [];
  let truncated = false;
  for (const response of childrenNamed(root, DAV.response)) {
    const hrefs = childrenNamed(response, DAV.href).map((h) => trimXmlSpace(h.text));
    if (hrefs.length === 0) throw invalid('a response without a DAV:href');
    const conditions = errorConditions(response);
    const propstats = childrenNamed(response, DAV.propstat);
    if (propstats.length > 0) {
      responses.push({ type: 'changed', href: hrefs[0] as string, status: 200, etag: etagOf(propstats), conditions });
      continue;
    }
    const status = statusOf(response);
    if (status === 507) {
      truncated = true;
    } else if (status === 404 || status === 403) {
      // RFC 4918 §14.24 lets one status response name several hrefs.
      const type = status === 404 ? 'removed' : 'forbidden';
      for (const href of hrefs) responses.push({ type, href, status, etag: undefined, conditions });
    } else {
      throw invalid(`the response for ${hrefs[0]} has status ${status}, which RFC 6578 does not define`);
    }
  }
  const token = childrenNamed(root, DAV.syncToken)[0];
  if (token === undefined) throw invalid('no DAV:sync-token');
  return { responses, token: trimXmlSpace(token.text), truncated };
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

/** `HTTP/1.1 404 Not Found` → 404. */
function statusOf(el: XmlElement): number {
  const line = childrenNamed(el, DAV.status)[0];
  if (line === undefined) throw invalid('a response with neither propstat nor status');
  const code = Number(trimXmlSpace(line.text).split(' ').filter(Boolean)[1]);
  if (!Number.isInteger(code) || code < 100 || code > 599) throw invalid(`malformed DAV:status ${JSON.stringify(line.text.slice(0, 60))}`);
  return code;
}

/** The ETag from the successful propstat that carries one. */
function etagOf(propstats: readonly XmlElement[]): string | undefined {
  for (const propstat of propstats) {
    const status = statusOf(propstat);
    if (status < 200 || status > 299) continue;
    for (const prop of childrenNamed(propstat, DAV.prop)) {
      const etag = childrenNamed(prop, DAV.getetag)[0];
      if (etag !== undefined) return trimXmlSpace(etag.text);
    }
  }
  return undefined;
}

function errorConditions(response: XmlElement): string[] {
  return childrenNamed(response, DAV.error).flatMap((e) => e.children.map((c) => c.name));
}

function invalid(why: string, cause?: unknown): Error {
  return new Error(`davsync: not a sync-collection response: ${why}`, cause === undefined ? undefined : { cause });
}
