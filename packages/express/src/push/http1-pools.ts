/**
 * HTTP/1.1 to push services, over undici: one connection pool per push
 * service origin, kept alive between changes. A change to 1 000
 * subscriptions is 1 000 POSTs to the same few services, and Node's own
 * `http.request` spent about twice undici's CPU per POST on this machine
 * (see docs/performance.md, "Push over undici").
 *
 * Every connection is made through the push resource policy's checked
 * `lookup` (undici hands its `connect` options to `net`/`tls.connect`), so
 * a name that resolves to a refused address is refused at connect time, as
 * on the HTTP/2 path; an IP literal was checked with the URL (`refusal`).
 * Pipelining stays off: push services are not known to pipeline, and a
 * slow answer would hold up the ones behind it.
 */
import type { LookupFunction } from 'node:net';
import type * as Undici from 'undici';

export interface Http1PoolsOptions {
  /** The push resource policy's checked lookup. */
  readonly lookup: LookupFunction;
  /** Trusted CA certificates (PEM) instead of Node's; tests only. */
  readonly ca?: string;
  /** Longest wait for a connection, and then for the answer's headers, in ms. */
  readonly timeoutMs: number;
  /** Most connections open to one push service at once (the rest of a fan-out queues). */
  readonly maxConnections: number;
  /** Most origins with a pool; beyond it the least recently used pool is closed. Default 64. */
  readonly maxOrigins?: number;
  /** A connection idle this long is closed, in ms, unless the service says sooner (Keep-Alive). Default 30 000. */
  readonly idleMs?: number;
}

// undici takes ~100 ms to load: required on first use, so a server whose push services all speak HTTP/2 never pays.
let loaded: typeof Undici | undefined;
function undici(): typeof Undici {
  loaded ??= require('undici') as typeof Undici;
  return loaded;
}

/** Error codes of undici's two timeouts: both are the service not answering in time. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

export class Http1Pools {
  /** Pools by origin, least recently used first (a pool used again moves to the end). */
  private readonly pools = new Map<string, Undici.Pool>();
  /** The origin used last: a fan-out sends to it again and again, and skips the reordering. */
  private newest: string | undefined;
  private closed = false;

  constructor(private readonly options: Http1PoolsOptions) {}

  /** POSTs `body` to `url`, resolving the answer's status once its headers arrive (the body is discarded). */
  async post(url: URL, headers: Readonly<Record<string, string>>, body: Buffer): Promise<number> {
    const pool = this.poolFor(url.origin);
    try {
      const answer = await pool.request({ path: `${url.pathname}${url.search}`, method: 'POST', headers, body });
      // Only the status matters; reading the body to its end frees the connection for the next message.
      answer.body.dump().catch(() => undefined);
      return answer.statusCode;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && TIMEOUT_CODES.has(code)) throw new Error(`push service did not answer within ${this.options.timeoutMs} ms`);
      throw err;
    }
  }

  /** Closes every pool at once (queued messages fail); later posts are refused. */
  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) pool.destroy().catch(() => undefined);
    this.pools.clear();
    this.newest = undefined;
  }

  private poolFor(origin: string): Undici.Pool {
    if (this.closed) throw new Error('the push transport is closed');
    let pool = this.pools.get(origin);
    if (pool !== undefined) {
      if (this.newest !== origin) {
        this.pools.delete(origin);
        this.pools.set(origin, pool);
        this.newest = origin;
      }
      return pool;
    }
    if (this.pools.size >= (this.options.maxOrigins ?? 64)) this.evictOldest();
    const { lookup, ca, timeoutMs, maxConnections } = this.options;
    pool = new (undici().Pool)(origin, {
      connections: maxConnections,
      pipelining: 1,
      headersTimeout: timeoutMs,
      // Undici's own default (4 s) would reconnect, TLS and all, for changes a few seconds apart.
      keepAliveTimeout: this.options.idleMs ?? 30_000,
      connect: { lookup, timeout: timeoutMs, ...(ca === undefined ? {} : { ca }) },
    });
    this.pools.set(origin, pool);
    this.newest = origin;
    return pool;
  }

  /** Closes the least recently used pool gracefully: what it has queued is still sent. */
  private evictOldest(): void {
    const oldest = this.pools.keys().next();
    if (oldest.done === true) return;
    const pool = this.pools.get(oldest.value) as Undici.Pool;
    this.pools.delete(oldest.value);
    pool.close().catch(() => undefined);
  }
}
