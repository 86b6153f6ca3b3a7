/**
 * VAPID `Authorization` headers (RFC 8292), one per push service origin,
 * reused until near their expiry. Signing the JWT (ES256, with web-push's
 * PEM encoding of the key in JavaScript) cost ~85 % of a message's CPU when
 * done per message, and the JWT names only the push service (`aud`), our
 * contact (`sub`) and an expiry — nothing about the message or the
 * subscription — so one header serves every message to that service. RFC
 * 8292 §2 allows up to 24 h; the JWT here lives 12 h (web-push's default)
 * and is replaced an hour before it ends, so no push service ever sees one
 * about to expire.
 */
import type { VapidKeys } from './web-push-transport';

/** How long a signed JWT is valid, in seconds (RFC 8292 §2: at most 24 h). */
export const VAPID_JWT_LIFETIME_SECONDS = 12 * 3600;
/** A cached header is replaced this long before its JWT expires, in seconds. */
export const VAPID_JWT_RENEW_BEFORE_SECONDS = 3600;
/** Push service origins remembered; past it the oldest is forgotten (push services are few: FCM, Mozilla, a UnifiedPush distributor or two). */
const MAX_ORIGINS = 1024;

/** Signs a VAPID header for `audience` valid until `expiration` (seconds since the epoch): web-push's `getVapidHeaders`. */
export type VapidSigner = (audience: string, keys: VapidKeys, expiration: number) => string;

export class VapidAuthorizations {
  private readonly byOrigin = new Map<string, { header: string; renewAt: number }>();

  constructor(
    private readonly keys: VapidKeys,
    private readonly sign: VapidSigner,
    private readonly now: () => number = Date.now,
  ) {}

  /** The `Authorization` header for a message to a push resource at `origin` (`https://push.example`). */
  headerFor(origin: string): string {
    const nowMs = this.now();
    const cached = this.byOrigin.get(origin);
    if (cached !== undefined && cached.renewAt > nowMs) return cached.header;
    const expiration = Math.floor(nowMs / 1000) + VAPID_JWT_LIFETIME_SECONDS;
    const header = this.sign(origin, this.keys, expiration);
    this.byOrigin.delete(origin);
    if (this.byOrigin.size >= MAX_ORIGINS) this.byOrigin.delete(this.byOrigin.keys().next().value as string);
    this.byOrigin.set(origin, { header, renewAt: (expiration - VAPID_JWT_RENEW_BEFORE_SECONDS) * 1000 });
    return header;
  }
}
