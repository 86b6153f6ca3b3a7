/**
 * A push registration (draft-bitfire-webdav-push §4): who asked to be told
 * about changes to which collection, how deep, through which Web Push
 * subscription, until when — and how delivering to it went last time, so an
 * operator can see why a client hears nothing. Values only; the rules that
 * decide what a change reaches are here too, so every store and the
 * dispatcher apply the same ones.
 */
import type { ChangeKind } from '../change-events';
import { isWithin, parentOf } from '../paths';

/** How far below the subscribed collection a change counts (the draft's `DAV:depth`). */
export type PushDepth = 0 | 1 | 'infinity';

/**
 * What a registration is told about: the draft's `content-update` and
 * `property-update` triggers, each with its depth; at least one is present.
 */
export interface PushTrigger {
  readonly contentUpdate?: PushDepth;
  readonly propertyUpdate?: PushDepth;
}

/**
 * A Web Push subscription as RFC 8030/8291 define it: where messages go and
 * the user agent's keys they are encrypted for. The push resource is the
 * subscription's identity (the draft §4.2).
 */
export interface WebPushSubscription {
  /** The absolute URL messages are POSTed to. */
  readonly pushResource: string;
  /** The user agent's P-256 ECDH public key, uncompressed, base64url (65 bytes). */
  readonly publicKey: string;
  /** The 16-byte authentication secret, base64url. */
  readonly authSecret: string;
}

/** How the last attempt to deliver to a registration ended. */
export interface PushDelivery {
  /** When the attempt ended (ms since the epoch). */
  readonly at: number;
  readonly ok: boolean;
  /** The push service's HTTP status, when it answered. */
  readonly status?: number;
  /** Why it failed, in words (a network error, a refused address, a status). */
  readonly error?: string;
}

export interface PushRegistration {
  /** Opaque, unguessable id: the last segment of the registration URL. */
  readonly id: string;
  /** The member path of the subscribed collection. */
  readonly collection: string;
  /** Who registered it (the request's user; `undefined`: anonymous). Only they may remove it. */
  readonly user: string | undefined;
  readonly subscription: WebPushSubscription;
  readonly trigger: PushTrigger;
  /** When it was first registered (ms since the epoch). */
  readonly created: number;
  /** When it expires (ms since the epoch): after that it is never returned nor sent to. */
  readonly expires: number;
  /** The last delivery attempt, if any. */
  readonly lastDelivery?: PushDelivery;
  /** Failed deliveries in a row since the last success (what the back-off counts). */
  readonly failures: number;
}

/** What a client asks to register; the store adds the id, times and delivery state. */
export interface PushRegistrationRequest {
  readonly collection: string;
  readonly user: string | undefined;
  readonly subscription: WebPushSubscription;
  readonly trigger: PushTrigger;
  /** When the registration is to expire (ms since the epoch), already capped by the server's rules. */
  readonly expires: number;
}

/** Whether a change at `path` is within `depth` of the collection `collection`. */
export function depthCovers(collection: string, depth: PushDepth, path: string): boolean {
  if (path === collection) return true;
  if (depth === 0) return false;
  if (depth === 1) return parentOf(path) === collection;
  return isWithin(path, collection);
}

/**
 * Which of a registration's triggers a change at any of `paths` fires: a
 * content change only `content-update`, a property change only
 * `property-update` (the draft §3.1), each within its depth. A change of
 * unknown kind fires both (a notification too many, never one too few).
 */
export function firedTriggers(
  registration: Pick<PushRegistration, 'collection' | 'trigger'>,
  paths: readonly string[],
  kind?: ChangeKind,
): { content: boolean; property: boolean } {
  const { contentUpdate, propertyUpdate } = registration.trigger;
  const fires = (depth: PushDepth | undefined): boolean => depth !== undefined && paths.some((p) => depthCovers(registration.collection, depth, p));
  return { content: kind !== 'property' && fires(contentUpdate), property: kind !== 'content' && fires(propertyUpdate) };
}

/** True while a registration has not expired at `now`. */
export function isLiveRegistration(registration: Pick<PushRegistration, 'expires'>, now: number): boolean {
  return registration.expires > now;
}
