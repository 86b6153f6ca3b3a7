/**
 * HTTP/2 to push services. Real push services (FCM, Mozilla autopush,
 * Apple) speak HTTP/2, where a change's 1 000 messages to one service are
 * 1 000 streams on one connection: measured on this machine the HTTP/1.1
 * client spends most of a fan-out's CPU on its requests (see
 * docs/performance.md, "Push over HTTP/2").
 *
 * Per origin this keeps one route, found by connecting once with ALPN
 * `h2`/`http/1.1`: an HTTP/2 session when the service chose `h2` (reused
 * by every message to it, closed when idle or told to go away), else
 * `http1` — remembered for a while, so the caller's HTTP/1.1 agent is used
 * without asking again. The TLS connection is made with the push resource
 * policy's `lookup`, so the addresses a name resolves to are checked at
 * connect time exactly as on the HTTP/1.1 path (an IP literal was checked
 * with the URL: `refusal`).
 */
import { connect as http2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Http2SessionsOptions {
  /** The push resource policy's checked lookup. */
  readonly lookup: LookupFunction;
  /** Trusted CA certificates (PEM) instead of Node's; tests only. */
  readonly ca?: string;
  /** Longest wait for a connection or a stream's answer, in ms. */
  readonly timeoutMs: number;
  /** A session with no stream for this long is closed, in ms. Default 30 000. */
  readonly idleMs?: number;
  /** Most streams in flight on one session (fewer when the service says so). Default 100. */
  readonly maxStreams?: number;
}

/** How long an origin that answered ALPN with `http/1.1` is sent to over HTTP/1.1 before asking again. */
const HTTP1_REMEMBERED_MS = 10 * 60_000;

type Route = { readonly kind: 'h2'; readonly session: Session } | { readonly kind: 'http1' };
/** An origin's route, being found (`route`) or found (`resolved`). */
interface RouteEntry {
  readonly route: Promise<Route>;
  resolved?: Route;
}

/** An HTTP/2 session with a bound on its streams in flight (the rest wait their turn, in order). */
class Session {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly h2: ClientHttp2Session,
    private readonly maxStreams: number,
  ) {}

  get usable(): boolean {
    return !this.h2.closed && !this.h2.destroyed;
  }

  /**
   * A slot for one stream: `undefined` when one was free (taken now, no
   * promise and no microtask — a fan-out's first 100 streams), else a
   * promise of the slot passed on by `release`.
   */
  acquire(): Promise<void> | undefined {
    // The service's SETTINGS_MAX_CONCURRENT_STREAMS, once known, lowers the bound.
    const limit = Math.min(this.maxStreams, this.h2.remoteSettings.maxConcurrentStreams ?? this.maxStreams);
    if (this.inFlight < limit) {
      this.inFlight++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(); // the slot passes on
    else this.inFlight--;
  }
}

/** A stream that failed because of its connection (gone away, refused, reset), not its message: worth one retry on a fresh session. */
class ConnectionLost extends Error {}

export class Http2Sessions {
  private readonly routes = new Map<string, RouteEntry>();
  private readonly http1Until = new Map<string, number>();
  private readonly idleMs: number;
  private readonly maxStreams: number;

  constructor(private readonly options: Http2SessionsOptions) {
    this.idleMs = options.idleMs ?? 30_000;
    this.maxStreams = options.maxStreams ?? 100;
  }

  /**
   * POSTs `body` to `url` over HTTP/2 (`headers` lowercase, as HTTP/2
   * requires: RFC 9113 §8.2.1) and resolves with the status, or
   * resolves `undefined` when the service does not speak HTTP/2 (the
   * caller then uses HTTP/1.1). A stream lost with its connection is
   * retried once on a new one (a push message is a wake-up: receiving it
   * twice is harmless).
   */
  async post(url: URL, headers: Record<string, string | number>, body: Buffer): Promise<number | undefined> {
    for (let attempt = 0; ; attempt++) {
      // A connected origin's session is used at once (awaiting its settled route cost each message a few microtask turns).
      const route = this.connected(url.origin) ?? (await this.route(url));
      if (route.kind === 'http1') return undefined;
      try {
        return await this.stream(route.session, url, headers, body);
      } catch (err) {
        // A closed or gone-away session was dropped by its events: the retry connects anew.
        if (!(err instanceof ConnectionLost) || attempt > 0) throw err;
      }
    }
  }

  /** Closes every session (streams in flight fail). */
  close(): void {
    for (const entry of this.routes.values()) if (entry.resolved?.kind === 'h2') entry.resolved.session.h2.destroy();
    this.routes.clear();
  }

  /** `origin`'s HTTP/2 route when it is connected and usable, else undefined (`route` finds or refreshes it). */
  private connected(origin: string): Route | undefined {
    const resolved = this.routes.get(origin)?.resolved;
    return resolved?.kind === 'h2' && resolved.session.usable ? resolved : undefined;
  }

  private async route(url: URL): Promise<Route> {
    const origin = url.origin;
    const until = this.http1Until.get(origin);
    if (until !== undefined) {
      if (Date.now() < until) return { kind: 'http1' };
      this.http1Until.delete(origin);
    }
    let entry = this.routes.get(origin);
    if (entry?.resolved?.kind === 'h2' && !entry.resolved.session.usable) {
      this.routes.delete(origin);
      entry = undefined;
    }
    if (entry === undefined) {
      const made: RouteEntry = { route: this.connect(url) };
      made.route.then(
        (r) => (made.resolved = r),
        // A failed connection is not kept: the next message tries again (the dispatcher's back-off paces that).
        () => this.routes.get(origin) === made && this.routes.delete(origin),
      );
      this.routes.set(origin, made);
      entry = made;
    }
    return entry.route;
  }

  /** Drops `route` (closed, gone away) so the next message to `origin` connects anew. */
  private forget(origin: string, route: Route): void {
    if (this.routes.get(origin)?.resolved === route) this.routes.delete(origin);
    if (route.kind === 'h2' && route.session.usable) route.session.h2.close();
  }

  /** One TLS connection offering h2 and http/1.1; an HTTP/2 session on it if the service picks h2. */
  private connect(url: URL): Promise<Route> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise<Route>((resolve, reject) => {
      const socket = tlsConnect({
        host,
        port: url.port === '' ? 443 : Number(url.port),
        // SNI carries names only (RFC 6066 §3).
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ALPNProtocols: ['h2', 'http/1.1'],
        lookup: this.options.lookup,
        ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
      });
      socket.setTimeout(this.options.timeoutMs, () => socket.destroy(new Error(`push service: no TLS connection within ${this.options.timeoutMs} ms`)));
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.setTimeout(0);
        socket.removeListener('error', reject);
        if (socket.alpnProtocol !== 'h2') {
          // One handshake wasted per origin and HTTP1_REMEMBERED_MS: the HTTP/1.1 agent makes its own.
          socket.destroy();
          this.http1Until.set(url.origin, Date.now() + HTTP1_REMEMBERED_MS);
          return resolve({ kind: 'http1' });
        }
        const h2 = http2Connect(url.origin, { createConnection: () => socket, settings: { enablePush: false } });
        const route: Route = { kind: 'h2', session: new Session(h2, this.maxStreams) };
        h2.on('error', () => undefined); // its streams report it; the route is dropped on close
        h2.once('goaway', () => this.forget(url.origin, route));
        h2.once('close', () => this.forget(url.origin, route));
        // Idle: no frames for idleMs. A server is alive anyway; a session alone must not keep a process (a test) running.
        h2.setTimeout(this.idleMs, () => h2.close());
        h2.unref();
        resolve(route);
      });
    });
  }

  private async stream(session: Session, url: URL, headers: Record<string, string | number>, body: Buffer): Promise<number> {
    const slot = session.acquire();
    if (slot !== undefined) await slot;
    try {
      if (!session.usable) throw new ConnectionLost('push service: HTTP/2 session closed');
      return await new Promise<number>((resolve, reject) => {
        let stream: ClientHttp2Stream;
        try {
          stream = session.h2.request({ ':method': 'POST', ':path': `${url.pathname}${url.search}`, ...headers });
        } catch (err) {
          // request() throws on a session that is closing or out of stream ids.
          return reject(new ConnectionLost(err instanceof Error ? err.message : String(err)));
        }
        let answered = false;
        stream.setTimeout(this.options.timeoutMs, () => {
          stream.close(constants.NGHTTP2_CANCEL);
          reject(new Error(`push service did not answer within ${this.options.timeoutMs} ms`));
        });
        stream.on('response', (h: IncomingHttpHeaders) => {
          answered = true;
          // Only the status matters; the body is discarded as it arrives.
          stream.resume();
          resolve(Number(h[':status']));
        });
        stream.on('error', (err) => reject(answered ? err : new ConnectionLost(err.message)));
        stream.on('close', () => {
          if (!answered) reject(new ConnectionLost(`push service: HTTP/2 stream closed without an answer (code ${stream.rstCode})`));
        });
        stream.end(body);
      });
    } finally {
      session.release();
    }
  }
}
