/**
 * What the transport tests (HTTP/1.1 and HTTP/2 paths) build alike: a
 * registration as the store hands it to the transport, and a policy that
 * leaves only its connect-time address check.
 */
import type { PushRegistration } from '@davsync/core';
import { PushResourcePolicy } from '../../src/push/push-resource-policy';
import type { TestSubscription } from './push-service';

/** A content-update registration of `sub` on /cal, as the store would hand it to the transport. */
export function registrationOf(sub: TestSubscription, id: string): PushRegistration {
  return {
    id,
    collection: '/cal',
    user: undefined,
    subscription: { pushResource: sub.pushResource, publicKey: sub.publicKey, authSecret: sub.authSecret },
    trigger: { contentUpdate: 1 },
    created: Date.now(),
    expires: Date.now() + 60_000,
    failures: 0,
  };
}

/** A policy whose URL check passes everything, so only its connect-time check (`lookup`) stands between a message and the address. */
export class ConnectTimeOnly extends PushResourcePolicy {
  override refusal(): string | undefined {
    return undefined;
  }
}
