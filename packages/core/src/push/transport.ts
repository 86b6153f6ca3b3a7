/**
 * The push transport contract: how a message reaches a registration's push
 * service. The dispatcher decides what and when; a transport only delivers
 * (encrypts, signs, POSTs). The Web Push one (RFC 8030/8291/8292) lives in
 * `@davsync/express` (`push/web-push-transport.ts`): the core knows no HTTP.
 */
import type { PushRegistration } from './registration';

/** What a push message says (the draft's `push-message`): which collection changed, and its new token. */
export interface PushMessage {
  /** The collection's push topic. */
  readonly topic: string;
  /** Set when a `content-update` trigger fired. */
  readonly contentUpdate: boolean;
  /** Set when a `property-update` trigger fired. */
  readonly propertyUpdate: boolean;
  /** The collection's sync token after the change (read when the message is sent, so it is the newest). */
  readonly syncToken: string | undefined;
}

export interface PushTransport {
  /**
   * Delivers `message` to `registration`'s push resource. Resolves with the
   * push service's HTTP status (2xx: accepted; 404 or 410: the subscription
   * is gone; anything else: a failure to retry later); rejects when no
   * status could be had (refused address, network error, timeout).
   */
  send(registration: PushRegistration, message: PushMessage): Promise<number>;
}
