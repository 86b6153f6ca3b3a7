/**
 * A Web Push service for tests (RFC 8030's push service side), on
 * 127.0.0.1 with an ephemeral port. It holds subscriptions made the way a
 * user agent makes them (a P-256 key pair and a 16-byte auth secret from
 * node:crypto), and for every message POSTed to one it checks what a real
 * push service and user agent would: the VAPID JWT (RFC 8292: ES256 over
 * the server's public key, `aud` = the push resource's origin, `exp` in the
 * next 24 hours) and the RFC 8291 aes128gcm encryption, which it undoes
 * with the subscription's private key and auth secret. Tests read the
 * decrypted messages; a subscription can be told to answer 404/410/5xx.
 * It speaks plain HTTP/1.1 (`http`), or TLS with a throwaway certificate
 * (`selfSigned`, trusted through davsync's test-only `testTrustedCa`)
 * offering HTTP/2 and HTTP/1.1 by ALPN (`h2`, what real push services do)
 * or HTTP/1.1 only (`https1`); each message records the HTTP version it came by.
 *
 * The decryption is written here from RFC 8291 §3.3–3.4 and RFC 8188 §2,
 * independently of the `web-push` library the server encrypts with, so a
 * mistake on either side fails the tests.
 */
import { createECDH, createPublicKey, hkdfSync, createDecipheriv, randomBytes, verify, type ECDH } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { constants, createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './server';
import { selfSigned } from './self-signed';

/** How the service is reached: plain HTTP/1.1, TLS offering h2 and http/1.1, TLS with http/1.1 only. */
export type PushServiceProtocol = 'http' | 'h2' | 'https1';
type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export interface ReceivedMessage {
  /** Which subscription it was sent to. */
  readonly name: string;
  readonly receivedAt: number;
  /** The decrypted body (the push-message XML). */
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** '1.1' or '2.0'. */
  readonly httpVersion: string;
  /** The VAPID JWT's claims, after its signature was verified. */
  readonly claims: { aud: string; exp: number; sub?: string };
}

export interface TestSubscription {
  readonly name: string;
  /** The push resource the client registers. */
  readonly pushResource: string;
  /** The user agent's public key, uncompressed, base64url. */
  readonly publicKey: string;
  readonly authSecret: string;
  /** The status this subscription's push resource answers with (201 unless a test changes it; 0: it never answers). */
  status: number;
  /** Over HTTP/2: this many of its next messages get their stream reset (REFUSED_STREAM) instead of an answer. */
  refuseStreams?: number;
}

/** What went wrong with a message the service could not accept (a test fails on any). */
export interface Rejection {
  readonly name: string;
  readonly reason: string;
}

interface Keys {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
}

const b64 = (b: Buffer): string => b.toString('base64url');

export class TestPushService {
  readonly messages: ReceivedMessage[] = [];
  readonly rejections: Rejection[] = [];
  /** TLS connections accepted (HTTP/2 sessions for `h2`): shows whether messages shared one. */
  connections = 0;
  /** The most messages received and not yet answered at one time (streams or connections busy at once). */
  maxInFlight = 0;
  private inFlight = 0;
  /** HTTP/2 streams reset without an answer (`refuseStreams`). */
  refusedStreams = 0;
  /** How long each answer waits, ms (a service a round trip away: the sender's connection or stream stays busy). */
  answerDelayMs = 0;
  private readonly keys = new Map<string, Keys>();
  private readonly subscriptions = new Map<string, TestSubscription>();
  private waiters: Array<() => void> = [];

  /** The HTTP/2 sessions open (for `goAway`). */
  private readonly h2Sessions = new Set<ServerHttp2Session>();

  private constructor(
    private readonly close_: () => Promise<void>,
    readonly origin: string,
    /** The application server's VAPID public key every message must be signed with. */
    private readonly vapidPublicKey: string,
    /** The certificate to trust (`testTrustedCa`) when the service speaks TLS. */
    readonly ca: string | undefined,
  ) {}

  static async start(vapidPublicKey: string, protocol: PushServiceProtocol = 'http'): Promise<TestPushService> {
    let service: TestPushService | undefined;
    const handler = (req: Request, res: Response): void => void service?.receive(req, res);
    if (protocol === 'http') {
      const { server, origin } = await listen(handler);
      service = new TestPushService(() => closeServer(server), origin, vapidPublicKey, undefined);
      return service;
    }
    const { key, cert } = selfSigned();
    const server = protocol === 'h2' ? createSecureServer({ key, cert, allowHTTP1: true }, handler) : createHttpsServer({ key, cert }, handler);
    // HTTP/2 sessions are not `closeAllConnections`' to close: kept and destroyed on close.
    const sessions = (): Set<ServerHttp2Session> => (service as TestPushService).h2Sessions;
    if (protocol === 'h2') (server as Http2SecureServer).on('session', (s: ServerHttp2Session) => (sessions().add(s), s.once('close', () => sessions().delete(s))));
    server.on('secureConnection', () => service !== undefined && service.connections++);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const close = async (): Promise<void> => {
      for (const s of sessions()) s.destroy();
      if (protocol === 'https1') (server as Server).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    service = new TestPushService(close, `https://127.0.0.1:${(server.address() as AddressInfo).port}`, vapidPublicKey, cert);
    return service;
  }

  /** A new subscription, as a user agent would create one; `origin` may name this service another way (`https://localhost:PORT`). */
  subscribe(name: string, origin = this.origin): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.keys.set(name, { ecdh, auth });
    const sub: TestSubscription = { name, pushResource: `${origin}/push/${name}`, publicKey: b64(ecdh.getPublicKey()), authSecret: b64(auth), status: 201 };
    this.subscriptions.set(name, sub);
    return sub;
  }

  /** Tells every open HTTP/2 session to go away (RFC 9113 §6.8, NO_ERROR), as a push service does before a restart; returns how many. */
  goAway(): number {
    for (const s of this.h2Sessions) s.goaway();
    return this.h2Sessions.size;
  }

  to(name: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.name === name);
  }

  /** Waits until `predicate` holds, checking after every message, at most `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`push service: condition not met within ${timeoutMs} ms (${this.messages.length} messages, rejections: ${JSON.stringify(this.rejections)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.close_();
  }

  private async receive(req: Request, res: Response): Promise<void> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const name = /^\/push\/([^/]+)$/.exec(req.url ?? '')?.[1];
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const sub = name === undefined ? undefined : this.subscriptions.get(name);
    if (name === undefined || sub === undefined) return this.answer(res, 404);
    if (sub.status === 0) return; // a service that never answers (the sender's timeout)
    if ((sub.refuseStreams ?? 0) > 0 && 'stream' in res) {
      // RFC 9113 §8.7: a stream refused this way was not processed, so the client may send it again.
      sub.refuseStreams = (sub.refuseStreams as number) - 1;
      this.refusedStreams++;
      this.inFlight--;
      res.stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (sub.status !== 201) return this.answer(res, sub.status);
    try {
      if (req.method !== 'POST') throw new Error(`method ${req.method}`);
      const claims = this.checkVapid(req.headers.authorization, sub.pushResource);
      if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
      if (req.headers['ttl'] === undefined) throw new Error('no TTL header (RFC 8030 §5.2 requires one)');
      const body = this.decrypt(name, Buffer.concat(chunks));
      this.messages.push({ name, receivedAt: Date.now(), body, headers: req.headers, httpVersion: req.httpVersion, claims });
      this.answer(res, 201);
    } catch (err) {
      this.rejections.push({ name, reason: err instanceof Error ? err.message : String(err) });
      this.answer(res, 400);
    }
  }

  private answer(res: Response, status: number): void {
    if (this.answerDelayMs > 0) setTimeout(() => this.reply(res, status), this.answerDelayMs);
    else this.reply(res, status);
  }

  private reply(res: Response, status: number): void {
    this.inFlight--;
    res.statusCode = status;
    res.end();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** RFC 8292 §2–3: `vapid t=<JWT>, k=<public key>`; the JWT is ES256 over that key. */
  private checkVapid(authorization: string | undefined, pushResource: string): { aud: string; exp: number; sub?: string } {
    const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (m === null) throw new Error(`no VAPID authorization: ${authorization}`);
    const [, jwt, k] = m as unknown as [string, string, string];
    if (k !== this.vapidPublicKey) throw new Error('VAPID key is not the server\'s');
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'ES256') throw new Error('VAPID JWT is not ES256');
    const point = Buffer.from(k, 'base64url');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)) }, format: 'jwk' });
    const ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    if (!ok) throw new Error('VAPID JWT signature does not verify');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { aud: string; exp: number; sub?: string };
    if (claims.aud !== new URL(pushResource).origin) throw new Error(`VAPID aud ${claims.aud} is not the push resource's origin`);
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600 + 60)) throw new Error(`VAPID exp ${claims.exp} is not within the next 24 hours`);
    return claims;
  }

  /** RFC 8291 §3.4 key derivation, then RFC 8188 aes128gcm with one record. */
  private decrypt(name: string, body: Buffer): string {
    const { ecdh, auth } = this.keys.get(name) as Keys;
    const salt = body.subarray(0, 16);
    const rs = body.readUInt32BE(16);
    const idlen = body[20] as number;
    const asPublic = body.subarray(21, 21 + idlen);
    const record = body.subarray(21 + idlen);
    if (idlen !== 65 || record.length > rs) throw new Error(`unexpected aes128gcm header (idlen ${idlen}, rs ${rs}, record ${record.length})`);
    const ecdhSecret = ecdh.computeSecret(asPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), asPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    // The last record ends with the delimiter 0x02, then zero padding (RFC 8188 §2).
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('no last-record padding delimiter');
    return padded.subarray(0, end).toString('utf8');
  }
}
