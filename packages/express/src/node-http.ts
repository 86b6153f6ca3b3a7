/**
 * The glue between Node's HTTP objects (as seen by Express 4 and 5, Connect
 * and a bare `http.createServer`) and the neutral handler. The only file that
 * knows about `req`, `res` and `next`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { failingAsClientClosed } from './client-closed';
import type { DavRequest, DavResponse } from './dav-request';

/** What Express and Connect add to `req`; all optional so bare `http` works too. */
interface MountedRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  /** Set by body parsers the host installed before us. */
  body?: unknown;
  _body?: boolean;
}

/** Translates a Node request into a {@link DavRequest}; `signal` and `interim` are the host's, added in the same object. */
export function toDavRequest(
  req: MountedRequest,
  method: string = methodOf(req),
  signal?: AbortSignal,
  interim?: DavRequest['interim'],
): DavRequest {
  const { scheme, authority, path: url } = splitTarget(req.url ?? '/');
  const headers: Record<string, string | undefined> = {};
  const raw = req.headers;
  for (const name in raw) {
    const value = raw[name];
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // RFC 9112 §3.2.2: with an absolute-form target, its host wins over Host.
  const host = authority ?? headers['host'];
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const request: { -readonly [K in keyof DavRequest]: DavRequest[K] } = {
    method,
    url: url.startsWith('/') ? url : `/${url}`,
    base: mountBase(req),
    headers,
    body: requestBody(req),
  };
  if (host !== undefined) request.origin = `${scheme ?? (encrypted ? 'https' : 'http')}://${host}`;
  if (signal !== undefined) request.signal = signal;
  if (interim !== undefined) request.interim = interim;
  return request;
}

/** The request's method, upper-case (`GET` when Node has none). */
export function methodOf(req: IncomingMessage): string {
  return (req.method ?? 'GET').toUpperCase();
}

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/**
 * Splits an absolute-form request target (`GET http://host/a HTTP/1.1`),
 * which a server MUST accept (RFC 9112 §3.2.2), into scheme, authority and
 * path; Express and Connect keep the scheme and authority in `url` when they
 * strip a mount point. An origin-form target is all path.
 */
function splitTarget(target: string): { scheme?: string; authority?: string; path: string } {
  const m = ABSOLUTE_FORM.exec(target);
  if (m === null) return { path: target };
  return { scheme: (m[1] as string).toLowerCase(), authority: m[2] as string, path: target.slice(m[0].length) || '/' };
}

/**
 * The mount point: Express sets `baseUrl`; Connect only rewrites `url` and
 * keeps `originalUrl`, so the prefix is what `originalUrl` has in front of
 * `url`'s path.
 */
function mountBase(req: MountedRequest): string {
  if (typeof req.baseUrl === 'string') return req.baseUrl.replace(/\/+$/, '');
  const original = req.originalUrl;
  const url = req.url ?? '/';
  if (typeof original !== 'string' || original === url) return '';
  const pathOf = (u: string) => splitTarget(u).path.split(/[?#]/)[0] as string;
  const o = pathOf(original);
  const p = pathOf(url);
  if (p === '/' && !o.endsWith('/')) return o;
  return o.endsWith(p) ? o.slice(0, o.length - p.length).replace(/\/+$/, '') : '';
}

/**
 * The body as bytes. A host body parser may already have read the stream
 * (e.g. `express.text({ type: '*\/*' })`); then its result is used instead,
 * so davsync works behind such parsers rather than fighting them.
 */
function requestBody(req: MountedRequest): AsyncIterable<Uint8Array> {
  if (req._body === true || (req.readableEnded && req.body !== undefined)) {
    const b = req.body;
    if (Buffer.isBuffer(b)) return Readable.from([b]);
    if (typeof b === 'string') return Readable.from([Buffer.from(b)]);
    // Parsed into a value (`express.json()` on a JSON PUT, `urlencoded`…):
    // the bytes are gone and cannot be rebuilt exactly. Reading such a body
    // fails (a 500, the reason logged through `onError`) rather than letting
    // a PUT store an empty file in place of the client's content. Only a
    // request that declared no body at all really had an empty one.
    const declared = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    return declared ? bodyLostToParser() : Readable.from([]);
  }
  // Not `req` itself: leaving a for-await over a Node stream early destroys
  // it, and with it the socket, so a 413 could never be sent. Unread input
  // is dealt with by closing the connection after the response instead.
  return failingAsClientClosed(req.iterator({ destroyOnReturn: false }), () => req.complete);
}

/** A body that fails when read: a host body parser consumed it into something other than bytes or text. */
async function* bodyLostToParser(): AsyncGenerator<Uint8Array> {
  throw new Error(
    'davsync: a body parser installed before davsync parsed this request body into an object, so its bytes are lost; ' +
      'mount davsync before the parser, or restrict the parser to other routes or content types',
  );
}

/**
 * Methods whose work reads file bodies or walks collections: only they get
 * a `DavRequest.signal`. An AbortSignal costs a few microseconds to make —
 * more than the rest of an up-to-date sync REPORT's glue — and the other
 * methods have nothing it could stop (a REPORT's stream stops when the
 * socket closes, a PUT's body read fails as the client's).
 */
const READING_METHODS = new Set(['GET', 'HEAD', 'PROPFIND', 'COPY', 'MOVE', 'DELETE', 'LOCK']);

/**
 * Whether the client went away: `res` closed before it had finished. For
 * a reading method, {@link signal} is aborted then, so the reads and
 * listings serving it stop (`DavRequest.signal`).
 */
export class ClientHangup {
  private gone = false;
  readonly signal: AbortSignal | undefined;

  constructor(res: ServerResponse, method: string) {
    const controller = READING_METHODS.has(method) ? new AbortController() : undefined;
    this.signal = controller?.signal;
    res.once('close', () => {
      if (res.writableFinished) return;
      this.gone = true;
      controller?.abort(new Error('davsync: the client closed the connection'));
    });
  }

  /** True once the client closed the connection before the response was complete. */
  get happened(): boolean {
    return this.gone;
  }
}

/** Writes a {@link DavResponse} to a Node response, streaming a streamed body. */
export async function sendDavResponse(req: IncomingMessage, res: ServerResponse, response: DavResponse): Promise<void> {
  const head = req.method === 'HEAD';
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  // A body we did not read (refused early) must not be parsed as the next request.
  if (!req.readableEnded && !req.complete) res.setHeader('connection', 'close');
  const body = response.body;
  if (body === undefined || head) {
    res.end();
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.end(body);
    return;
  }
  await sendStream(res, body, response.live === true ? 0 : BUFFER_LIMIT);
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Bodies up to this size are sent whole, with a Content-Length. */
const BUFFER_LIMIT = 64 * 1024;

/**
 * Sends a streamed body. A short one (most sync answers) is collected and
 * sent in one write with a Content-Length; a long one is written as it is
 * produced, waiting for the socket to drain, and abandoned if the client
 * goes away.
 */
async function sendStream(res: ServerResponse, body: AsyncIterable<string | Uint8Array>, bufferLimit: number): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      const whole = Buffer.concat(head);
      res.setHeader('content-length', String(whole.length));
      res.end(whole);
      return;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
    if (size >= bufferLimit) break;
  }
  let closed = false;
  const onClose = () => {
    closed = true;
  };
  res.once('close', onClose);
  try {
    for (const chunk of head) res.write(chunk);
    for (;;) {
      if (closed) {
        await iterator.return?.();
        return;
      }
      if (res.writableNeedDrain) await drainOrClose(res);
      const next = await iterator.next();
      if (next.done) break;
      res.write(next.value);
    }
    res.end();
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Writes an interim response (e.g. 104 Upload Resumption Supported) before
 * the final one. Node has helpers for 100, 102 and 103 only; they write the
 * raw head through the response's `_writeRaw`, which this uses the same
 * way. Skipped for HTTP/1.0 clients (no 1xx, RFC 9110 §15.2), once headers
 * are out, on a host without `_writeRaw`, and for a header value that is
 * not plain text.
 */
export function writeInterim(req: IncomingMessage, res: ServerResponse, status: number, reason: string, headers: Record<string, string>): void {
  const raw = (res as unknown as { _writeRaw?: (data: string, encoding: string) => boolean })._writeRaw;
  if (typeof raw !== 'function' || res.headersSent || res.writableEnded || req.httpVersion === '1.0') return;
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[\x20-\x7e]*$/.test(value)) return;
    head += `${name}: ${value}\r\n`;
  }
  raw.call(res, `${head}\r\n`, 'latin1');
}
