/**
 * The Web Push transport (RFC 8030) for WebDAV-Push: the `push-message` is
 * encrypted for the subscription (RFC 8291, aes128gcm) with keys mostly
 * made ahead of time (`prepared-message-keys.ts`, `message-encryption.ts`:
 * web-push's `encrypt` does the ECDH on the spot, 90 % of a message's CPU);
 * the `web-push` library signs the VAPID header (RFC 8292) — once per push
 * service, reused (`vapid-authorization.ts`); the POST itself is made here, through
 * the push resource policy's checked address lookup, with a timeout and
 * without reading more of the answer than its status — over HTTP/2 when an
 * https push service offers it (`http2-sessions.ts`: one connection, a
 * stream per message), else HTTP/1.1 with kept-alive connections
 * (`http1-pools.ts`: undici, a connection pool per push service).
 * (`web-push`'s own sender always uses https/1.1 and resolves names unchecked.)
 */
import type { PushMessage, PushRegistration, PushTransport } from '@davsync/core';
import { pushMessageBody } from '@davsync/protocol';
import type * as WebPush from 'web-push';
import { Http1Pools } from './http1-pools';
import { Http2Sessions } from './http2-sessions';
import type { PushResourcePolicy } from './push-resource-policy';
import { plaintextRecord, sealRecord } from './message-encryption';
import { PreparedMessageKeys } from './prepared-message-keys';
import { VapidAuthorizations } from './vapid-authorization';

// web-push (with asn1.js, bn.js, jws) takes ~20 ms to load: required on first use, so a server without push never pays.
let loaded: typeof WebPush | undefined;
function webpush(): typeof WebPush {
  loaded ??= require('web-push') as typeof WebPush;
  return loaded;
}

/** The server's VAPID identity (RFC 8292). */
export interface VapidKeys {
  /** Uncompressed P-256 public key, base64url (what the `transports` property shows). */
  readonly publicKey: string;
  /** The private key, base64url (32 bytes). */
  readonly privateKey: string;
  /** A contact for push service operators: `mailto:` or `https:` URL. */
  readonly subject: string;
}

export interface WebPushTransportOptions {
  readonly vapid: VapidKeys;
  readonly policy: PushResourcePolicy;
  /** How long a push service keeps an undelivered message, in seconds (RFC 8030 TTL). Default 86 400. */
  readonly ttlSeconds?: number;
  /** Longest wait for a push service's answer, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Most HTTP/1.1 connections open to one push service at once (a change for 1 000 subscriptions queues, not 1 000 sockets). Default 32. */
  readonly maxSocketsPerService?: number;
  /** Speak HTTP/2 to https push services that offer it (ALPN). Default true. */
  readonly http2?: boolean;
  /** Most HTTP/2 streams in flight to one push service (fewer if it says so). Default 100. */
  readonly maxStreamsPerService?: number;
  /** CA certificates (PEM) trusted for push services instead of Node's. For tests only (a local https push service). */
  readonly testTrustedCa?: string;
}

/** Message bodies kept (see `bodies`): a few collections changing at once. */
const MAX_CACHED_BODIES = 64;
/** Push service origins whose headers are kept (push services are few). */
const MAX_CACHED_ORIGINS = 1024;
/** Push resources kept checked and parsed (see `resourceOf`): one per subscription sent to, ~200 bytes each. */
const MAX_CACHED_RESOURCES = 10_000;

type CheckedResource = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly refusal: string };

export class WebPushTransport implements PushTransport {
  private readonly ttl: number;
  /** HTTP/1.1 connection pools, one per push service (push services are few; their subscribers many). */
  private readonly pools: Http1Pools;
  private readonly authorizations: VapidAuthorizations;
  /** HTTP/2 sessions, one per push service that speaks it; undefined when `http2` is off. */
  private readonly sessions: Http2Sessions | undefined;
  /** Messages being sent now (keys are prepared only when none are). */
  private sending = 0;
  private readonly keys = new PreparedMessageKeys(undefined, () => this.sending > 0);
  /**
   * Recent message bodies: a change to a collection with 1 000 registrations
   * is one message said 1 000 times, and building its XML took ~0.1 ms —
   * as long as the rest of sending it. Bounded, cleared when full.
   */
  private readonly bodies = new Map<string, Buffer>();
  /** The plaintext record of a message object: the dispatcher hands one object to every registration a change reaches. */
  private readonly bodyOfMessage = new WeakMap<PushMessage, Buffer>();
  /** The headers every message to a push service origin carries (lowercase, for HTTP/2 as for HTTP/1.1), renewed with its VAPID header. */
  private readonly originHeaders = new Map<string, { readonly authorization: string; readonly headers: Readonly<Record<string, string>> }>();
  private readonly resources = new Map<string, CheckedResource>();

  constructor(private readonly options: WebPushTransportOptions) {
    this.authorizations = new VapidAuthorizations(options.vapid, (audience, keys, expiration) =>
      webpush().getVapidHeaders(audience, keys.subject, keys.publicKey, keys.privateKey, 'aes128gcm', expiration).Authorization,
    );
    this.ttl = options.ttlSeconds ?? 86_400;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const ca = options.testTrustedCa;
    this.pools = new Http1Pools({
      lookup: options.policy.lookup,
      timeoutMs,
      maxConnections: options.maxSocketsPerService ?? 32,
      ...(ca === undefined ? {} : { ca }),
    });
    this.sessions =
      options.http2 === false
        ? undefined
        : new Http2Sessions({
            lookup: options.policy.lookup,
            timeoutMs,
            ...(options.maxStreamsPerService === undefined ? {} : { maxStreams: options.maxStreamsPerService }),
            ...(ca === undefined ? {} : { ca }),
          });
  }

  /** Makes the keys of `registration`'s next message ahead of time (when idle), so its first message is sent as fast as later ones. */
  prepare(registration: PushRegistration): void {
    this.keys.prepare(registration.id, registration.subscription);
  }

  /** Closes the kept-alive connections and forgets the prepared keys. */
  close(): void {
    this.keys.close();
    this.sessions?.close();
    this.pools.close();
  }

  async send(registration: PushRegistration, message: PushMessage): Promise<number> {
    this.sending++;
    try {
      return await this.sendNow(registration, message);
    } finally {
      this.sending--;
    }
  }

  private async sendNow(registration: PushRegistration, message: PushMessage): Promise<number> {
    const resource = this.resourceOf(registration.subscription.pushResource);
    if (!resource.ok) throw new Error(resource.refusal);
    const body = sealRecord(this.keys.take(registration.id, registration.subscription), this.recordOf(message));
    const headers = { ...this.headersFor(resource.url.origin), 'content-length': String(body.length) };
    if (this.sessions !== undefined && resource.url.protocol === 'https:') {
      const status = await this.sessions.post(resource.url, headers, body);
      if (status !== undefined) return status;
    }
    return this.pools.post(resource.url, headers, body);
  }

  /**
   * A push resource checked against the policy's URL rules and parsed, once:
   * the rules depend on the string alone (the addresses a name resolves to
   * are checked at every connection, by the policy's `lookup`), and parsing
   * it three times per message was ~8 % of a fan-out's CPU.
   */
  private resourceOf(pushResource: string): CheckedResource {
    let checked = this.resources.get(pushResource);
    if (checked === undefined) {
      const refusal = this.options.policy.refusal(pushResource);
      checked = refusal === undefined ? { ok: true, url: new URL(pushResource) } : { ok: false, refusal };
      if (this.resources.size >= MAX_CACHED_RESOURCES) this.resources.clear();
      this.resources.set(pushResource, checked);
    }
    return checked;
  }

  /**
   * The headers web-push's generateRequestDetails would set, but for the
   * length, with the VAPID header reused per push service: made once per
   * origin (and VAPID renewal), lowercase as HTTP/2 wants them, the
   * values strings as undici's types want them.
   */
  private headersFor(origin: string): Readonly<Record<string, string>> {
    const authorization = this.authorizations.headerFor(origin);
    const cached = this.originHeaders.get(origin);
    if (cached !== undefined && cached.authorization === authorization) return cached.headers;
    const headers = { ttl: String(this.ttl), 'content-type': 'application/octet-stream', 'content-encoding': 'aes128gcm', urgency: 'normal', authorization };
    if (this.originHeaders.size >= MAX_CACHED_ORIGINS) this.originHeaders.clear();
    this.originHeaders.set(origin, { authorization, headers });
    return headers;
  }

  /** The message's plaintext record (its body and the last-record delimiter), once per message object. */
  private recordOf(message: PushMessage): Buffer {
    const known = this.bodyOfMessage.get(message);
    if (known !== undefined) return known;
    const record = this.recordOfContent(message);
    this.bodyOfMessage.set(message, record);
    return record;
  }

  private recordOfContent(message: PushMessage): Buffer {
    const key = `${message.topic}\n${message.contentUpdate}\n${message.propertyUpdate}\n${message.syncToken ?? ''}`;
    let body = this.bodies.get(key);
    if (body === undefined) {
      if (this.bodies.size >= MAX_CACHED_BODIES) this.bodies.clear();
      body = plaintextRecord(Buffer.from(pushMessageBody(message)));
      this.bodies.set(key, body);
    }
    return body;
  }
}

/** A fresh VAPID key pair (base64url), as `web-push` makes them. */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush().generateVAPIDKeys();
}
