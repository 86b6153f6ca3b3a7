/**
 * WebDAV-Push bodies (draft-bitfire-webdav-push): the `push-register`
 * request a client POSTs (§4.1, §7.1, §7.3) and the `push-message` a server
 * sends (§5.1). The reader checks the shape and the Web Push key material;
 * what the server then allows (which push resources, how long) is the
 * server's business.
 *
 * The draft's refusals are 403s with a precondition element, not 400s, so
 * the reader returns them as values (`condition`) for the server to answer;
 * only a body that is not `push-register` at all is a `ProtocolError`.
 */
import { parseHttpDate } from '../headers/http-date';
import { badRequest } from '../protocol-error';
import { buildXml } from './build';
import type { XmlNode } from './fragment';
import { DAV, DAV_NS, PUSH, clark } from './names';

/** `DAV:depth` inside a trigger (RFC 4918 defines Depth only as a header). */
const DAV_DEPTH = clark(DAV_NS, 'depth');
import { childrenNamed, trimXmlSpace, type XmlElement } from './reader';

/** The draft's `DAV:depth` of a trigger. */
export type PushRegisterDepth = 0 | 1 | 'infinity';

export interface PushRegisterRequest {
  readonly subscription: {
    /** Absolute URL, as given (the server validates where it may point). */
    readonly pushResource: string;
    /** The user agent's P-256 public key, uncompressed, base64url (checked: 65 bytes, 0x04 first). */
    readonly publicKey: string;
    /** The auth secret, base64url (checked: 16 bytes). */
    readonly authSecret: string;
  };
  readonly contentUpdate?: PushRegisterDepth;
  readonly propertyUpdate?: PushRegisterDepth;
  /** The requested expiry, when given as a valid IMF-fixdate (an invalid one is ignored, as the draft asks). */
  readonly expires?: Date;
}

/** A push-register the draft says to refuse with 403 and this precondition. */
export interface PushRegisterRefusal {
  readonly condition: 'invalid-subscription' | 'no-supported-trigger';
  readonly message: string;
}

export type PushRegisterResult = { readonly ok: true; readonly request: PushRegisterRequest } | ({ readonly ok: false } & PushRegisterRefusal);

const refuse = (condition: PushRegisterRefusal['condition'], message: string): PushRegisterResult => ({ ok: false, condition, message: `davsync: ${message}` });

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Bytes of a base64url string, or `undefined` when it is not one. */
function base64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  return Buffer.from(text.replace(/=+$/, ''), 'base64url');
}

/** The text of the only child `name`, trimmed; `undefined` when absent; `null` when repeated or holding elements. */
function onlyText(parent: XmlElement, name: string): string | undefined | null {
  const found = childrenNamed(parent, name);
  if (found.length === 0) return undefined;
  if (found.length > 1 || (found[0] as XmlElement).children.length > 0) return null;
  return trimXmlSpace((found[0] as XmlElement).text);
}

function readDepth(trigger: XmlElement | undefined): PushRegisterDepth | undefined {
  if (trigger === undefined) return undefined;
  const text = onlyText(trigger, DAV_DEPTH);
  if (text === '0') return 0;
  if (text === '1') return 1;
  if (text === 'infinity') return 'infinity';
  return undefined; // no or a malformed depth: the trigger is not understood, so ignored (§4.1.1)
}

/**
 * Reads a POST body as a `push-register` request.
 *
 * @throws ProtocolError `bad-request` when the root is not `push-register`.
 * @example parsePushRegister(await parseXml(req)) // → { ok: true, request: { subscription: {...}, contentUpdate: 1 } }
 */
export function parsePushRegister(root: XmlElement): PushRegisterResult {
  if (root.name !== PUSH.pushRegister) throw badRequest(`davsync: POST body must be push-register (${PUSH.pushRegister}), not ${root.name}`);
  const subscriptions = childrenNamed(root, PUSH.subscription);
  if (subscriptions.length !== 1) return refuse('invalid-subscription', 'push-register must contain exactly one subscription');
  const webPush = childrenNamed(subscriptions[0] as XmlElement, PUSH.webPushSubscription);
  if (webPush.length !== 1 || (subscriptions[0] as XmlElement).children.length !== 1) {
    return refuse('invalid-subscription', 'the subscription must contain exactly one web-push-subscription (the only transport supported)');
  }
  const sub = webPush[0] as XmlElement;
  const pushResource = onlyText(sub, PUSH.pushResource);
  if (typeof pushResource !== 'string' || pushResource === '') return refuse('invalid-subscription', 'web-push-subscription must contain one push-resource');
  const encoding = onlyText(sub, PUSH.contentEncoding);
  if (encoding !== 'aes128gcm') return refuse('invalid-subscription', 'content-encoding must be aes128gcm (RFC 8291)');
  const keyEls = childrenNamed(sub, PUSH.subscriptionPublicKey);
  const publicKey = onlyText(sub, PUSH.subscriptionPublicKey);
  if (typeof publicKey !== 'string' || keyEls[0]?.attrs['type'] !== 'p256dh') {
    return refuse('invalid-subscription', 'subscription-public-key with type="p256dh" is required');
  }
  const keyBytes = base64url(publicKey);
  if (keyBytes === undefined || keyBytes.length !== 65 || keyBytes[0] !== 0x04) {
    return refuse('invalid-subscription', 'subscription-public-key must be an uncompressed P-256 point, base64url (65 bytes)');
  }
  const authSecret = onlyText(sub, PUSH.authSecret);
  const authBytes = typeof authSecret === 'string' ? base64url(authSecret) : undefined;
  if (typeof authSecret !== 'string' || authBytes === undefined || authBytes.length !== 16) {
    return refuse('invalid-subscription', 'auth-secret must be 16 bytes, base64url');
  }
  const triggers = childrenNamed(root, PUSH.trigger);
  if (triggers.length > 1) return refuse('no-supported-trigger', 'push-register must contain one trigger');
  const trigger = triggers[0];
  const contentUpdate = trigger === undefined ? undefined : readDepth(childrenNamed(trigger, PUSH.contentUpdate)[0]);
  const propertyUpdate = trigger === undefined ? undefined : readDepth(childrenNamed(trigger, PUSH.propertyUpdate)[0]);
  if (contentUpdate === undefined && propertyUpdate === undefined) {
    return refuse('no-supported-trigger', 'the trigger must contain content-update or property-update with a DAV:depth of 0, 1 or infinity');
  }
  const expiresText = onlyText(root, PUSH.expires);
  const expires = typeof expiresText === 'string' ? parseHttpDate(expiresText) : undefined;
  const request: PushRegisterRequest = {
    subscription: { pushResource, publicKey: publicKey.replace(/=+$/, ''), authSecret: authSecret.replace(/=+$/, '') },
    ...(contentUpdate === undefined ? {} : { contentUpdate }),
    ...(propertyUpdate === undefined ? {} : { propertyUpdate }),
    ...(expires === undefined ? {} : { expires }),
  };
  return { ok: true, request };
}

/** What a push message says (§5.1). */
export interface PushMessageContent {
  readonly topic: string;
  readonly contentUpdate: boolean;
  readonly propertyUpdate: boolean;
  /** The collection's new sync token, carried in `content-update`. */
  readonly syncToken?: string | undefined;
}

/**
 * A `push-message` document (§5.1, §7.5: sent as `application/xml`).
 *
 * @example pushMessageBody({ topic: 'O7M1…', contentUpdate: true, propertyUpdate: false, syncToken: 'http://example.com/sync/10' })
 */
export function pushMessageBody(message: PushMessageContent): string {
  const children: XmlNode[] = [{ name: PUSH.topic, text: message.topic }];
  if (message.contentUpdate) {
    children.push({ name: PUSH.contentUpdate, children: message.syncToken === undefined ? [] : [{ name: DAV.syncToken, text: message.syncToken }] });
  }
  if (message.propertyUpdate) children.push({ name: PUSH.propertyUpdate });
  return buildXml({ name: PUSH.pushMessage, children });
}
