/**
 * The client side of a `DAV:multistatus` (RFC 4918 §13): any 207 answer —
 * PROPFIND, a sync-collection REPORT — read into one entry per
 * `DAV:response` with the properties its successful propstats carry. The
 * sync reader (`sync-response.ts`) and the `@davsync/client` PROPFIND walk
 * both read through here, so there is one place that knows how a
 * multistatus is shaped.
 */
import { ProtocolError } from '../protocol-error';
import { DAV } from './names';
import { DEFAULT_XML_LIMITS, childrenNamed, parseXmlIfPresent, trimXmlSpace, type XmlElement, type XmlInput } from './reader';

/** One `DAV:response`. */
export interface MultistatusEntry {
  /** `propstat`: the member's properties came in propstats; `status`: a bare status (404, 403, 507 …). */
  readonly kind: 'propstat' | 'status';
  /** Every `DAV:href` exactly as sent (RFC 4918 §14.24 lets a status response name several). */
  readonly hrefs: readonly string[];
  /** The response's own status; 200 for a propstat response. */
  readonly status: number;
  /** The properties from the 2xx propstats, by Clark name (the first one wins when repeated). */
  readonly props: Readonly<Record<string, XmlElement>>;
  /** The conditions in the response's `DAV:error`, as Clark names. */
  readonly conditions: readonly string[];
}

/** A whole multistatus. */
export interface MultistatusAnswer {
  readonly responses: readonly MultistatusEntry[];
  /** The `DAV:sync-token`, when the document has one (a sync-collection answer). */
  readonly syncToken: string | undefined;
}

/** Bounds for reading a response; generous, since a big collection's listing is a big document. */
export interface MultistatusLimits {
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
 * Reads the body of a 207 answer.
 *
 * @param what names the document in error messages (`davsync: not a <what>: …`).
 * @throws Error for an empty or malformed body, a root other than
 *   `DAV:multistatus`, a response without href, or one with neither
 *   propstat nor a well-formed status.
 */
export async function readMultistatus(input: XmlInput, limits: MultistatusLimits = {}, what = 'multistatus response'): Promise<MultistatusAnswer> {
  const responses: MultistatusEntry[] = [];
  const { syncToken } = await readMultistatusEach(input, (entry) => responses.push(entry), limits, what);
  return { responses, syncToken };
}

/**
 * {@link readMultistatus}, each `DAV:response` handed to `onResponse` as it
 * is read and then dropped: the memory of one response at a time, however
 * long the document (a first sync's answer lists every member). The entries
 * come in document order, before the document is known to be complete: an
 * error (malformed XML further on, a missing sync-token) still rejects the
 * returned promise, after some entries were handed over.
 */
export async function readMultistatusEach(
  input: XmlInput,
  onResponse: (entry: MultistatusEntry) => void,
  limits: MultistatusLimits = {},
  what = 'multistatus response',
): Promise<Pick<MultistatusAnswer, 'syncToken'>> {
  const invalid = (why: string, cause?: unknown) => new Error(`davsync: not a ${what}: ${why}`, cause === undefined ? undefined : { cause });
  const handOff = {
    accepts: (root: XmlElement, child: XmlElement) => root.name === DAV.multistatus && child.name === DAV.response,
    take: (response: XmlElement) => {
      try {
        onResponse(entryOf(response, invalid));
      } catch (err) {
        throw new FromResponse(err);
      }
    },
  };
  let root: XmlElement | undefined;
  try {
    root = await parseXmlIfPresent(input, { ...RESPONSE_LIMITS, ...limits }, handOff);
  } catch (err) {
    if (err instanceof FromResponse) throw err.error; // already says what it is
    throw invalid(err instanceof ProtocolError ? err.message.replace(/^davsync: /, '') : String(err), err);
  }
  if (root === undefined) throw invalid('the body is empty');
  if (root.name !== DAV.multistatus) throw invalid(`the document is ${root.name}, not {DAV:}multistatus`);
  const token = childrenNamed(root, DAV.syncToken)[0];
  return { syncToken: token === undefined ? undefined : trimXmlSpace(token.text) };
}

/** An error from reading one response or from `onResponse`: passed on as it is, not as a malformed document. */
class FromResponse {
  constructor(readonly error: unknown) {}
}

/** One `DAV:response` element read into its entry. */
function entryOf(response: XmlElement, invalid: (why: string) => Error): MultistatusEntry {
  const hrefs = childrenNamed(response, DAV.href).map((h) => trimXmlSpace(h.text));
  if (hrefs.length === 0) throw invalid('a response without a DAV:href');
  const conditions = childrenNamed(response, DAV.error).flatMap((e) => e.children.map((c) => c.name));
  const propstats = childrenNamed(response, DAV.propstat);
  if (propstats.length === 0) return { kind: 'status', hrefs, status: statusOf(response, invalid), props: {}, conditions };
  const props: Record<string, XmlElement> = {};
  for (const propstat of propstats) {
    const status = statusOf(propstat, invalid);
    if (status < 200 || status > 299) continue;
    for (const prop of childrenNamed(propstat, DAV.prop)) for (const p of prop.children) if (!(p.name in props)) props[p.name] = p;
  }
  return { kind: 'propstat', hrefs, status: 200, props, conditions };
}

/** The trimmed text of a property, or undefined when the entry does not have it. */
export function propText(entry: Pick<MultistatusEntry, 'props'>, name: string): string | undefined {
  const el = entry.props[name];
  return el === undefined ? undefined : trimXmlSpace(el.text);
}

/** Whether the entry's `DAV:resourcetype` holds `DAV:collection`. */
export function isCollectionEntry(entry: Pick<MultistatusEntry, 'props'>): boolean {
  return entry.props[DAV.resourcetype]?.children.some((c) => c.name === DAV.collection) ?? false;
}

/** `HTTP/1.1 404 Not Found` → 404. */
function statusOf(el: XmlElement, invalid: (why: string) => Error): number {
  const line = childrenNamed(el, DAV.status)[0];
  if (line === undefined) throw invalid('a response with neither propstat nor status');
  const code = Number(trimXmlSpace(line.text).split(' ').filter(Boolean)[1]);
  if (!Number.isInteger(code) || code < 100 || code > 599) throw invalid(`malformed DAV:status ${JSON.stringify(line.text.slice(0, 60))}`);
  return code;
}
