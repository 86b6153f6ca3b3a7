/**
 * A tiny WebDAV client for the HTTP tests: requests with Node's global
 * `fetch` (or raw `node:http` where fetch would normalise the URL), and the
 * project's own XML reader to take responses apart into plain structures
 * the tests assert on: hrefs, statuses, propstats, errors, sync tokens.
 */
import { request as httpRequest } from 'node:http';
import { expect } from '@jest/globals';
import { parseXml, type XmlElement } from '@davsync/protocol';

export const D = (local: string): string => `{DAV:}${local}`;

export interface DavReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One HTTP request with fetch; the body is read whole. */
export async function dav(
  url: string,
  method: string,
  options: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<DavReply> {
  const init: RequestInit = { method, redirect: 'manual' };
  if (options.headers !== undefined) init.headers = options.headers;
  if (options.body !== undefined) init.body = options.body;
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/**
 * A request whose target is sent exactly as written (fetch would resolve
 * `..`, `%2e%2e` and drop fragments before they reach the server).
 */
export function rawRequest(
  origin: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Parses an XML response body with the project's reader. */
export function xml(text: string): Promise<XmlElement> {
  return parseXml(text);
}

/** A body that must be empty or a well-formed XML document. */
export async function expectEmptyOrXml(text: string): Promise<void> {
  if (text.trim() === '') return;
  await expect(parseXml(text)).resolves.toBeDefined();
}

/** The status code of a `DAV:status` line (`HTTP/1.1 404 Not Found` → 404). */
export function statusCode(line: string): number {
  const m = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(line.trim());
  if (m === null) throw new Error(`not a status line: ${JSON.stringify(line)}`);
  return Number(m[1]);
}

export interface Propstat {
  readonly status: number;
  /** Properties by Clark name. */
  readonly props: ReadonlyMap<string, XmlElement>;
  readonly errors: readonly string[];
}

export interface ResponseEntry {
  readonly href: string;
  /** The response's own `DAV:status`, when it has one. */
  readonly status: number | undefined;
  readonly propstats: readonly Propstat[];
  readonly errors: readonly string[];
  /** Found (200) properties by Clark name. */
  prop(name: string): XmlElement | undefined;
  /** The status the property is reported under, if it is reported. */
  statusOf(name: string): number | undefined;
}

export interface Multistatus {
  readonly responses: readonly ResponseEntry[];
  readonly syncToken: string | undefined;
  /** Every href, in document order. */
  readonly hrefs: readonly string[];
  /** The response for `href`; fails the test when there is not exactly one. */
  get(href: string): ResponseEntry;
}

const childrenOf = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
const onlyChild = (el: XmlElement, name: string): XmlElement => {
  const found = childrenOf(el, name);
  if (found.length !== 1) throw new Error(`expected exactly one ${name} in ${el.name}, found ${found.length}`);
  return found[0] as XmlElement;
};
const errorsIn = (el: XmlElement): string[] => childrenOf(el, D('error')).flatMap((e) => e.children.map((c) => c.name));

/** Reads a `DAV:multistatus` body; fails on anything else. */
export async function multistatus(text: string): Promise<Multistatus> {
  const root = await parseXml(text);
  expect(root.name).toBe(D('multistatus'));
  const responses = childrenOf(root, D('response')).map((r): ResponseEntry => {
    const hrefs = childrenOf(r, D('href'));
    if (hrefs.length !== 1) throw new Error(`a DAV:response must have one href here, found ${hrefs.length}`);
    const statusEls = childrenOf(r, D('status'));
    const propstats = childrenOf(r, D('propstat')).map((ps): Propstat => {
      const props = new Map<string, XmlElement>();
      for (const p of onlyChild(ps, D('prop')).children) props.set(p.name, p);
      return { status: statusCode(onlyChild(ps, D('status')).text), props, errors: errorsIn(ps) };
    });
    const status = statusEls.length === 0 ? undefined : statusCode((statusEls[0] as XmlElement).text);
    return {
      href: (hrefs[0] as XmlElement).text.trim(),
      status,
      propstats,
      errors: errorsIn(r),
      prop: (name) => propstats.find((ps) => ps.status === 200)?.props.get(name),
      statusOf: (name) => propstats.find((ps) => ps.props.has(name))?.status,
    };
  });
  const tokens = childrenOf(root, D('sync-token'));
  const hrefs = responses.map((r) => r.href);
  return {
    responses,
    hrefs,
    syncToken: tokens.length === 0 ? undefined : (tokens[0] as XmlElement).text.trim(),
    get(href) {
      const matching = responses.filter((r) => r.href === href);
      if (matching.length !== 1) throw new Error(`expected one response for ${href}, found ${matching.length} among ${JSON.stringify(hrefs)}`);
      return matching[0] as ResponseEntry;
    },
  };
}

/** The condition names inside a `DAV:error` body. */
export async function errorConditions(text: string): Promise<string[]> {
  const root = await parseXml(text);
  expect(root.name).toBe(D('error'));
  return root.children.map((c) => c.name);
}

/** Text of a property element, trimmed. */
export const textOf = (el: XmlElement | undefined): string | undefined => el?.text.trim();

// ---- request helpers ----------------------------------------------------------

export const PROPFIND_ALL = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';
export const PROPFIND_NAMES = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>';

/** A PROPFIND body asking for these properties (XML element text, e.g. `<D:getetag/>`). */
export function propfindBody(props: string, namespaces = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"${namespaces}><D:prop>${props}</D:prop></D:propfind>`;
}

export const XML_HEADERS = { 'content-type': 'application/xml; charset=utf-8' } as const;

/** PROPFIND → parsed multistatus (asserts 207). */
export async function propfind(url: string, depth: '0' | '1' | 'infinity', body = PROPFIND_ALL): Promise<Multistatus> {
  const r = await dav(url, 'PROPFIND', { headers: { ...XML_HEADERS, depth }, body });
  expect(r.status).toBe(207);
  return multistatus(r.text);
}

/** REPORT sync-collection → the raw reply. */
export function report(url: string, body: string, headers: Record<string, string> = {}): Promise<DavReply> {
  return dav(url, 'REPORT', { headers: { ...XML_HEADERS, ...headers }, body });
}

/** REPORT sync-collection → parsed multistatus (asserts 207 and a token). */
export async function sync(url: string, body: string, headers: Record<string, string> = {}): Promise<Multistatus> {
  const r = await report(url, body, headers);
  expect(r.status).toBe(207);
  const ms = await multistatus(r.text);
  expect(ms.syncToken).toEqual(expect.any(String));
  return ms;
}

/** PUT that must succeed (201 or 204); returns the ETag header. */
export async function put(url: string, body: string, contentType = 'text/plain'): Promise<string> {
  const r = await dav(url, 'PUT', { headers: { 'content-type': contentType }, body });
  if (r.status !== 201 && r.status !== 204) throw new Error(`PUT ${url} → ${r.status} ${r.headers.get('x-davsync-reason') ?? ''}`);
  return r.headers.get('etag') ?? '';
}

/** MKCOL that must succeed. */
export async function mkcol(url: string): Promise<void> {
  const r = await dav(url, 'MKCOL');
  if (r.status !== 201) throw new Error(`MKCOL ${url} → ${r.status} ${r.headers.get('x-davsync-reason') ?? ''}`);
}

/** DELETE that must succeed. */
export async function del(url: string): Promise<void> {
  const r = await dav(url, 'DELETE');
  if (r.status !== 204) throw new Error(`DELETE ${url} → ${r.status} ${r.headers.get('x-davsync-reason') ?? ''}`);
}
