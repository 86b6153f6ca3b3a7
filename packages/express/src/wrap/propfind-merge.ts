/**
 * Merging davsync's two live properties into the host's PROPFIND answer.
 *
 * The host answers PROPFIND (it has every other property: displayname,
 * resourcetype, getctag, address-book-description, ...). When the request
 * asked for `DAV:sync-token` or `DAV:supported-report-set`, davsync reads
 * the host's 207 and, for each `DAV:response` whose href is a collection it
 * syncs:
 * - puts its `DAV:sync-token` in the 200 propstat (taking it out of the 404
 *   propstat a host that does not know it answered with, or replacing a
 *   token the host made up itself: only davsync's works with its REPORT);
 * - adds `<DAV:supported-report><DAV:report><DAV:sync-collection/>` to the
 *   host's `DAV:supported-report-set` (or supplies the property);
 * - with push on, puts the asked WebDAV-Push properties (`transports`,
 *   `topic`, `supported-triggers`) there too, the same way.
 * Everything else is written back as the host wrote it (same elements,
 * attributes, text and prefixes; the XML declaration becomes UTF-8).
 */
import { DAV, DAV_NS, parseXml, serializeElement, splitClark, type XmlElement, type XmlLimits, type XmlNode } from '@davsync/protocol';
import { SYNC_REPORTS } from '../sync/sync-properties';

/** Which of the two properties the client asked for, and which of WebDAV-Push's (when push is on). */
export interface WantedProperties {
  readonly syncToken: boolean;
  readonly supportedReportSet: boolean;
  /** Push properties asked for (Clark names), supplied by `pushFor`. */
  readonly push?: readonly string[];
}

/** A synced collection's values: its token, and its push properties when asked. */
export interface OwnValues {
  readonly token: string;
  /** The asked push properties with their values (`transports`, `topic`, `supported-triggers`). */
  readonly push?: readonly XmlNode[];
}

/**
 * Returns the merged document, or `undefined` when nothing needed merging.
 * `tokenFor(href)` gives the sync token of a collection davsync syncs (and
 * its push properties), or `undefined` for any other href (left alone).
 *
 * @throws DavError `bad-request` / `payload-too-large` when the host's body is
 *   not XML within `limits` (the caller then passes the host's answer on).
 */
export async function mergeSyncProperties(
  body: Buffer,
  wanted: WantedProperties,
  tokenFor: (href: string) => Promise<string | OwnValues | undefined>,
  limits: Partial<XmlLimits>,
): Promise<Buffer | undefined> {
  const root = await parseXml(body, limits);
  if (root.name !== DAV.multistatus) return undefined;
  let changed = false;
  const content: Array<XmlElement | string> = [];
  for (const item of root.content) {
    if (typeof item !== 'string' && item.name === DAV.response) {
      const href = item.children.find((c) => c.name === DAV.href)?.text.trim();
      const own = href === undefined || href === '' ? undefined : await tokenFor(href);
      if (own !== undefined) {
        const merged = mergeResponse(item, wanted, typeof own === 'string' ? { token: own } : own);
        if (merged !== item) changed = true;
        content.push(merged);
        continue;
      }
    }
    content.push(item);
  }
  if (!changed) return undefined;
  return Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n' + serializeElement(withContent(root, content)), 'utf8');
}

function mergeResponse(response: XmlElement, wanted: WantedProperties, own: OwnValues): XmlElement {
  if (!response.children.some((c) => c.name === DAV.propstat)) return response; // a status-only response: leave it
  const { token } = own;
  const prefix = davPrefix(response);
  const names = new Set<string>();
  if (wanted.syncToken) names.add(DAV.syncToken);
  if (wanted.supportedReportSet) names.add(DAV.supportedReportSet);
  for (const node of own.push ?? []) names.add(node.name);

  // The host's own supported-report-set, if it answered one with 200.
  let hostReports: XmlElement | undefined;
  const content: Array<XmlElement | string> = [];
  let lastPropstat = -1;
  for (const item of response.content) {
    if (typeof item === 'string' || item.name !== DAV.propstat) {
      content.push(item);
      continue;
    }
    const ok = statusOf(item) === 200;
    const prop = item.children.find((c) => c.name === DAV.prop);
    if (prop === undefined) {
      content.push(item);
      lastPropstat = content.length - 1;
      continue;
    }
    const kept: Array<XmlElement | string> = [];
    for (const p of prop.content) {
      if (typeof p !== 'string' && names.has(p.name)) {
        if (ok && p.name === DAV.supportedReportSet && hostReports === undefined) hostReports = p;
        continue; // re-added below, in the 200 propstat
      }
      kept.push(p);
    }
    if (!kept.some((p) => typeof p !== 'string') && !ok) continue; // a 404 propstat left empty: dropped
    content.push(withContent(item, item.content.map((c) => (c === prop ? withContent(prop, kept) : c))));
    lastPropstat = content.length - 1;
  }

  const ours: XmlElement[] = [];
  if (wanted.syncToken) ours.push(element(DAV.syncToken, prefix, response, [token]));
  if (wanted.supportedReportSet) ours.push(withSyncReport(hostReports, prefix, response));
  for (const node of own.push ?? []) ours.push(foreignNode(node, response));

  // Into the 200 propstat, or a new one right after the last propstat.
  const okIndex = content.findIndex((c) => typeof c !== 'string' && c.name === DAV.propstat && statusOf(c) === 200);
  if (okIndex >= 0) {
    const ps = content[okIndex] as XmlElement;
    const prop = ps.children.find((c) => c.name === DAV.prop) as XmlElement;
    content[okIndex] = withContent(ps, ps.content.map((c) => (c === prop ? withContent(prop, [...prop.content, ...ours]) : c)));
  } else {
    const ps = element(DAV.propstat, prefix, response, [element(DAV.prop, prefix, response, ours), element(DAV.status, prefix, response, ['HTTP/1.1 200 OK'])]);
    content.splice(lastPropstat + 1, 0, ps);
  }
  return withContent(response, content);
}

/** The host's supported-report-set with sync-collection added (or ours alone). */
function withSyncReport(host: XmlElement | undefined, prefix: string, context: XmlElement): XmlElement {
  // The value is sync's (`sync/sync-properties.ts`), written in the host's document.
  const reports = SYNC_REPORTS.map((node) => fromNode(node, prefix, context));
  if (host === undefined) return element(DAV.supportedReportSet, prefix, context, reports);
  const listed = host.children.some(
    (sr) => sr.name === DAV.supportedReport && sr.children.some((r) => r.name === DAV.report && r.children.some((x) => x.name === DAV.syncCollection)),
  );
  return listed ? host : withContent(host, [...host.content, ...reports]);
}

/** A `DAV:` node of ours as an element of the host's document, under the prefix bound to `DAV:` there. */
function fromNode(node: XmlNode, prefix: string, context: XmlElement): XmlElement {
  const children = (node.children ?? []).map((c) => fromNode(c, prefix, context));
  return element(node.name, prefix, context, node.text === undefined || node.text === '' ? children : [node.text, ...children]);
}

/**
 * A node of ours in any namespace as an element of the host's document:
 * under a prefix the host bound to its namespace, else `P` (the writer
 * declares it where it is not bound).
 */
function foreignNode(node: XmlNode, context: XmlElement): XmlElement {
  const { ns } = splitClark(node.name);
  let prefix = ns === DAV_NS ? 'D' : 'P';
  for (const p in context.scope) if (context.scope[p] === ns) prefix = p;
  const children = (node.children ?? []).map((c) => foreignNode(c, context));
  const el = element(node.name, prefix, context, node.text === undefined || node.text === '' ? children : [node.text, ...children]);
  return node.attrs === undefined ? el : { ...el, attrs: { ...node.attrs } };
}

/** The status code of a propstat (`HTTP/1.1 404 Not Found` → 404), or 0. */
function statusOf(propstat: XmlElement): number {
  const line = propstat.children.find((c) => c.name === DAV.status)?.text ?? '';
  const m = /^\s*HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line);
  return m === null ? 0 : Number(m[1]);
}

/** A prefix bound to `DAV:` where new elements go, or `D` (declared on them by the writer if needed). */
function davPrefix(el: XmlElement): string {
  for (const prefix in el.scope) if (el.scope[prefix] === DAV_NS) return prefix;
  return 'D';
}

function element(name: string, prefix: string, context: XmlElement, content: Array<XmlElement | string>): XmlElement {
  return withContent(
    { name, prefix, attrs: {}, namespaces: {}, scope: context.scope, lang: undefined, children: [], text: '', content: [] },
    content,
  );
}

function withContent(el: XmlElement, content: Array<XmlElement | string>): XmlElement {
  return {
    ...el,
    content,
    children: content.filter((c): c is XmlElement => typeof c !== 'string'),
    text: content.filter((c): c is string => typeof c === 'string').join(''),
  };
}
