/**
 * Holding the host's response until davsync has dealt with it. The host
 * writes its answer as usual (`writeHead`, `setHeader`, `write`, `end`, or
 * Express's `res.send`, which come down to those); nothing reaches the
 * socket until the host calls `end`. Then `decide` sees the status, the
 * headers and the body, and the response is released as written, released
 * with a new body, or replaced.
 *
 * That is what makes capture durable: the journal commit happens inside
 * `decide`, so a client never sees a 2xx for a change that is not in the
 * journal yet.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { DavResponse } from '../dav-request';

/** The host's finished response, as held. */
export interface HeldResponse {
  readonly status: number;
  /** A response header (joined with `, ` when repeated), or `undefined`. */
  header(name: string): string | undefined;
  /** The body as written. */
  body(): Buffer;
}

export type HoldDecision =
  /** Send what the host wrote. */
  | { readonly action: 'release' }
  /**
   * Send the host's status and headers with another body: Content-Length is
   * set, and validators of the old body (ETag, Content-MD5, Digest) dropped.
   */
  | { readonly action: 'rewrite'; readonly body: Buffer; readonly headers?: Readonly<Record<string, string>> }
  /** Send this instead. */
  | { readonly action: 'replace'; readonly response: DavResponse };

type Callback = (err?: Error | null) => void;
type Writer = (...args: unknown[]) => unknown;

interface Overrides {
  writeHead: Writer;
  write: Writer;
  end: Writer;
  flushHeaders: Writer;
}

/**
 * Holds `res` until the host ends it, then applies `decide`. If `decide`
 * throws, `onDecideError` gives the response to send. `done` runs once,
 * when the response is out, or the connection closed before the host
 * answered; never while `decide` is still running.
 */
export function holdResponse(
  res: ServerResponse,
  decide: (held: HeldResponse) => Promise<HoldDecision>,
  onDecideError: (err: unknown) => DavResponse,
  done: () => void,
): void {
  const chunks: Array<{ chunk: Buffer; callback?: Callback }> = [];
  let ended = false;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  // Gone before the host answered: nothing will be recorded.
  res.once('close', () => {
    if (!ended) finish();
  });

  const target = res as unknown as Overrides;
  const toBuffer = (chunk: unknown, encoding: unknown): Buffer =>
    Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');

  target.writeHead = (...args: unknown[]) => {
    // writeHead(status, [statusMessage], [headers]): applied to `res` now,
    // sent with everything else later.
    res.statusCode = args[0] as number;
    let headers = args[1];
    if (typeof headers === 'string') {
      res.statusMessage = headers;
      headers = args[2];
    }
    applyHeaders(res, headers);
    return res;
  };
  target.flushHeaders = () => undefined;
  target.write = (chunk: unknown, encoding?: unknown, callback?: unknown) => {
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    chunks.push({ chunk: toBuffer(chunk, encoding), ...(typeof callback === 'function' ? { callback: callback as Callback } : {}) });
    return true;
  };
  target.end = (chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    if (typeof chunk === 'function') [callback, chunk] = [chunk, undefined];
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    if (ended) return res;
    ended = true;
    if (chunk !== undefined && chunk !== null) chunks.push({ chunk: toBuffer(chunk, encoding) });
    // Back to the real methods: what follows is the actual sending.
    for (const name of ['writeHead', 'write', 'end', 'flushHeaders'] as const) delete (res as unknown as Record<string, unknown>)[name];
    const held: HeldResponse = {
      status: res.statusCode,
      header: (name) => {
        const v = res.getHeader(name);
        return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
      },
      body: () => Buffer.concat(chunks.map((c) => c.chunk)),
    };
    const send = (decision: HoldDecision): void => {
      if (res.destroyed) {
        finish();
        return;
      }
      res.once('finish', finish);
      res.once('close', finish);
      if (decision.action === 'release') {
        for (const c of chunks) res.write(c.chunk, c.callback);
        res.end(typeof callback === 'function' ? (callback as () => void) : undefined);
      } else if (decision.action === 'rewrite') {
        for (const [name, value] of Object.entries(decision.headers ?? {})) res.setHeader(name, value);
        for (const stale of ['transfer-encoding', 'etag', 'content-md5', 'digest']) res.removeHeader(stale);
        res.setHeader('content-length', String(decision.body.length));
        res.end(decision.body);
      } else {
        replace(res, decision.response);
      }
    };
    decide(held).then(send, (err: unknown) => send({ action: 'replace', response: onDecideError(err) }));
    return res;
  };
}

/** Sends `response` in place of whatever the host set up. */
function replace(res: ServerResponse, response: DavResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = response.status;
  res.statusMessage = '';
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  const body = response.body;
  res.end(typeof body === 'string' || body instanceof Uint8Array ? body : undefined);
}

/** Applies writeHead's headers argument (an object, or a flat or nested raw array) with setHeader. */
function applyHeaders(res: ServerResponse, headers: unknown): void {
  if (headers === undefined || headers === null) return;
  if (Array.isArray(headers)) {
    const grouped = new Map<string, string[]>();
    const add = (name: unknown, value: unknown) => {
      const key = String(name).toLowerCase();
      const list = grouped.get(key) ?? [];
      list.push(String(value));
      grouped.set(key, list);
    };
    if (headers.length > 0 && Array.isArray(headers[0])) for (const [n, v] of headers as unknown[][]) add(n, v);
    else for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    return;
  }
  for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
    if (value !== undefined) res.setHeader(name, value);
  }
}
