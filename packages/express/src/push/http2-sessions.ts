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

/** A stream waiting for its answer: given up at `deadline` (performance.now() ms). */
interface Awaited {
  readonly deadline: number;
  readonly expire: () => void;
}

/**
 * An HTTP/2 session with a bound on its streams in flight (the rest wait
 * their turn, in order), and their answer deadlines: one sweep timer for
 * the session while streams are out, not a timer per stream (a fan-out's
 * 1 000 `stream.setTimeout`s were timer-list work on every write).
 */
class Session {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly awaited = new Set<Awaited>();
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly h2: ClientHttp2Session,
    private readonly maxStreams: number,
    private readonly timeoutMs: number,
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

  /** Calls `expire` if the stream is still awaited `timeoutMs` from now (up to a tenth later: the sweep's period). */
  await(expire: () => void): Awaited {
    const entry = { deadline: performance.now() + this.timeoutMs, expire };
    this.awaited.add(entry);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.min(1000, this.timeoutMs / 10)));
      this.sweeper.unref();
    }
    return entry;
  }

  answered(entry: Awaited): void {
    this.awaited.delete(entry);
    if (this.awaited.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const now = performance.now();
    // Oldest first (a Set keeps insertion order, and every entry has the same timeout): stop at the first not due.
    for (const entry of this.awaited) {
      if (entry.deadline > now) break;
      entry.expire();
    }
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
  post(url: URL, headers: Record<string, string | number>, body: Buffer): Promise<number | undefined> {
    // A closed or gone-away session was dropped by its events: the one retry connects anew.
    return this.attempt(url, headers, body).catch((err: unknown) => {
      if (err instanceof ConnectionLost) return this.attempt(url, headers, body);
      throw err;
    });
  }

  private attempt(url: URL, headers: Record<string, string | number>, body: Buffer): Promise<number | undefined> {
    // A connected origin's session is used at once (awaiting its settled route cost each message a few microtask turns).
    const connected = this.connected(url.origin);
    if (connected?.kind === 'h2') return this.stream(connected.session, url, headers, body);
    return this.route(url).then((route) => (route.kind === 'http1' ? undefined : this.stream(route.session, url, headers, body)));
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
        const route: Route = { kind: 'h2', session: new Session(h2, this.maxStreams, this.options.timeoutMs) };
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

  private stream(session: Session, url: URL, headers: Record<string, string | number>, body: Buffer): Promise<number> {
    const slot = session.acquire();
    const path = `${url.pathname}${url.search}`;
    return slot === undefined ? this.open(session, path, headers, body) : slot.then(() => this.open(session, path, headers, body));
  }

  /** One POST as one stream, holding a slot of `session` until its outcome (the answer's status, an error, the timeout). */
  private open(session: Session, path: string, headers: Record<string, string | number>, body: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (!session.usable) {
        session.release();
        return reject(new ConnectionLost('push service: HTTP/2 session closed'));
      }
      let stream: ClientHttp2Stream;
      try {
        stream = session.h2.request({ ':method': 'POST', ':path': path, ...headers });
      } catch (err) {
        // request() throws on a session that is closing or out of stream ids.
        session.release();
        return reject(new ConnectionLost(err instanceof Error ? err.message : String(err)));
      }
      let settled = false;
      const settle = (status: number | undefined, err?: Error): void => {
        if (settled) return;
        settled = true;
        session.answered(awaited);
        session.release();
        if (err === undefined) resolve(status as number);
        else reject(err);
      };
      const awaited = session.await(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        settle(undefined, new Error(`push service did not answer within ${this.options.timeoutMs} ms`));
      });
      stream.on('response', (h: IncomingHttpHeaders) => {
        // Only the status matters; the body is discarded as it arrives.
        stream.resume();
        settle(Number(h[':status']));
      });
      // Every stream closes, answered or not: the error is made only for one that was not (an Error's stack cost ~6 µs a message).
      stream.on('error', (err) => settled || settle(undefined, new ConnectionLost(err.message)));
      stream.on('close', () => settled || settle(undefined, new ConnectionLost(`push service: HTTP/2 stream closed without an answer (code ${stream.rstCode})`)));
      stream.end(body);
    });
  }
}
