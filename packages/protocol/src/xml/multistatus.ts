/**
 * The streaming `DAV:multistatus` writer (RFC 4918 §13, §14.16; RFC 6578
 * §6.4 adds the trailing `DAV:sync-token`).
 *
 * A sync of 100 000 members must not sit in memory as one document, so each
 * `DAV:response` is serialised on its own (see `fragment.ts` for escaping
 * and prefixes) and handed out at once:
 *
 * ```
 * <?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">   open()
 * <D:response>…</D:response>                                               response() × n
 * <D:sync-token>…</D:sync-token></D:multistatus>                           close()
 * ```
 *
 * Hrefs are written as given: the caller percent-encodes them (RFC 4918
 * §8.3); this module only XML-escapes.
 */
import { DAV } from './names';
import { DAV_DECLARED, PrefixTable, nodeXml, startElement, xmlText, type ElementStart, type XmlNode } from './fragment';
import { errorXml, type ErrorCondition } from './error-body';
import { reasonPhrase } from '../reason-phrases';

/**
 * A property value to write inside `DAV:prop` (RFC 4918 §14.18).
 * - `xml`: a dead property exactly as stored: the whole property element,
 *   a standalone fragment with its own namespace declarations (see
 *   `proppatch.ts`); written verbatim, not re-parsed.
 * - `text`: a live property with character data (`getetag`, `sync-token`, …).
 * - `children`: a live property with element content (`resourcetype`, …).
 */
export type PropValue =
  | { readonly xml: string }
  | { readonly text: string }
  | { readonly children: readonly XmlNode[] };

/** One property in a propstat; without `value` it is an empty element (a 404 entry, or a `propname` answer). */
export interface PropEntry {
  /** Clark name. */
  readonly name: string;
  readonly value?: PropValue;
}

/** RFC 4918 §14.22: properties sharing one status. */
export interface Propstat {
  readonly status: number;
  readonly props: readonly PropEntry[];
  readonly error?: readonly ErrorCondition[];
  readonly description?: string;
}

/** RFC 4918 §14.24: a resource described by its properties (a changed member in a sync, RFC 6578 §3.5.1). */
export interface PropstatResponse {
  readonly href: string;
  /** At least one (RFC 4918 §14.24; RFC 6578 §3.2 for changed members). */
  readonly propstats: readonly Propstat[];
  readonly error?: readonly ErrorCondition[];
  readonly description?: string;
}

/** RFC 4918 §14.24: a resource described by one status (a removed member is 404, RFC 6578 §3.5.2; a truncated result 507, §3.6). */
export interface StatusResponse {
  readonly href: string;
  readonly status: number;
  readonly error?: readonly ErrorCondition[];
  readonly description?: string;
}

export type MultistatusResponse = PropstatResponse | StatusResponse;

/** What follows the responses (RFC 6578 §6.4: `responsedescription?, sync-token?`). */
export interface MultistatusTrailer {
  readonly description?: string;
  /** The new token (RFC 6578 §3.2); absent for a PROPFIND. */
  readonly syncToken?: string;
}

/**
 * Sorts found and missing properties into the usual 200 and 404
 * propstats. Always returns at least one propstat, as a changed member's
 * response requires one (RFC 6578 §3.2).
 *
 * @example propstatsOf([{ name: DAV.getetag, value: { text: '"1"' } }], ['{urn:x}bigbox'])
 */
export function propstatsOf(found: readonly PropEntry[], missing: readonly string[]): Propstat[] {
  const out: Propstat[] = [];
  if (found.length > 0 || missing.length === 0) out.push({ status: 200, props: found });
  if (missing.length > 0) out.push({ status: 404, props: missing.map((name) => ({ name })) });
  return out;
}

/** `HTTP/1.1 404 Not Found`: the `DAV:status` form (RFC 4918 §14.28). */
export function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    const phrase = reasonPhrase(status);
    line = `HTTP/1.1 ${status} ${phrase ?? ''}`.trimEnd();
    if (phrase !== undefined) STATUS_LINES.set(status, line);
  }
  return line;
}

const STATUS_LINES = new Map<number, string>();

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';
const OPEN = `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">`;
const CLOSE = '</D:multistatus>';

/**
 * Writes one multistatus document piece by piece. Call {@link open} once,
 * {@link response} per resource, {@link close} once; each returns the text
 * to send. Prefixes for non-`DAV:` namespaces stay stable for the document.
 *
 * @example
 * const w = new MultistatusWriter();
 * res.write(w.open());
 * for await (const r of responses) res.write(w.response(r));
 * res.end(w.close({ syncToken }));
 */
export class MultistatusWriter {
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly prefixes = new PrefixTable();
  /**
   * Property element starts by Clark name. A property sits directly in
   * `DAV:prop`, where only `DAV:` is declared, and a namespace's prefix never
   * changes within a document, so a name always starts the same way; a
   * listing writes the same few names once per member.
   */
  private readonly propStarts = new Map<string, ElementStart>();

  open(): string {
    if (this.state !== 'new') throw new Error('davsync: multistatus already opened');
    this.state = 'open';
    return OPEN;
  }

  response(r: MultistatusResponse): string {
    if (this.state !== 'open') throw new Error('davsync: multistatus is not open');
    let out = `<D:response><D:href>${xmlText(r.href)}</D:href>`;
    if ('status' in r) {
      out += `<D:status>${statusLine(r.status)}</D:status>`;
    } else {
      if (r.propstats.length === 0) throw new TypeError('davsync: a DAV:response needs a status or at least one propstat');
      for (const ps of r.propstats) out += this.propstat(ps);
    }
    if (r.error !== undefined && r.error.length > 0) out += errorXml(r.error, this.prefixes, DAV_DECLARED);
    if (r.description !== undefined) out += `<D:responsedescription>${xmlText(r.description)}</D:responsedescription>`;
    return `${out}</D:response>`;
  }

  close(trailer: MultistatusTrailer = {}): string {
    if (this.state !== 'open') throw new Error('davsync: multistatus is not open');
    this.state = 'closed';
    let out = '';
    if (trailer.description !== undefined) out += `<D:responsedescription>${xmlText(trailer.description)}</D:responsedescription>`;
    if (trailer.syncToken !== undefined) out += `<D:sync-token>${xmlText(trailer.syncToken)}</D:sync-token>`;
    return out + CLOSE;
  }

  private propstat(ps: Propstat): string {
    let prop = '';
    for (const entry of ps.props) {
      const value = entry.value;
      if (value === undefined) prop += this.propElement(entry.name, '');
      else if ('xml' in value) prop += value.xml; // a stored dead property, self-contained
      else if ('children' in value) {
        prop += value.children.length === 0 ? this.propElement(entry.name, '') : nodeXml({ name: entry.name, children: value.children }, this.prefixes, DAV_DECLARED);
      } else prop += this.propElement(entry.name, xmlText(value.text));
    }
    let out = `<D:propstat><D:prop>${prop}</D:prop><D:status>${statusLine(ps.status)}</D:status>`;
    if (ps.error !== undefined && ps.error.length > 0) out += errorXml(ps.error, this.prefixes, DAV_DECLARED);
    if (ps.description !== undefined) out += `<D:responsedescription>${xmlText(ps.description)}</D:responsedescription>`;
    return `${out}</D:propstat>`;
  }

  /** A property element around serialised content (empty → `<x/>`). */
  private propElement(name: string, content: string): string {
    let start = this.propStarts.get(name);
    if (start === undefined) {
      start = startElement(name, this.prefixes, DAV_DECLARED);
      this.propStarts.set(name, start);
    }
    return content === '' ? `${start.head}/>` : `${start.head}>${content}</${start.qname}>`;
  }
}

/**
 * The whole document as an async stream of strings, batched into chunks of
 * about `chunkSize` characters so a socket is not written once per member.
 * The trailer may be a function: it is called after the last response, when
 * e.g. the token for exactly the page sent is known (RFC 6578 §3.6).
 *
 * @example Readable.from(multistatusChunks(changes, () => ({ syncToken: cursor.token() }))).pipe(res)
 */
export async function* multistatusChunks(
  responses: Iterable<MultistatusResponse | readonly MultistatusResponse[]> | AsyncIterable<MultistatusResponse | readonly MultistatusResponse[]>,
  trailer?: MultistatusTrailer | (() => MultistatusTrailer | Promise<MultistatusTrailer>),
  options: { chunkSize?: number } = {},
): AsyncGenerator<string, void, undefined> {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const writer = new MultistatusWriter();
  let pending = writer.open();
  for await (const item of responses) {
    // A batch of responses (a listing's) costs one await instead of one each.
    for (const r of isBatch(item) ? item : [item]) {
      pending += writer.response(r);
      if (pending.length >= chunkSize) {
        yield pending;
        pending = '';
      }
    }
  }
  const end = typeof trailer === 'function' ? await trailer() : trailer;
  yield pending + writer.close(end);
}

const isBatch = (item: MultistatusResponse | readonly MultistatusResponse[]): item is readonly MultistatusResponse[] => Array.isArray(item);
