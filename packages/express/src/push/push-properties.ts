/**
 * The three properties WebDAV-Push adds to a collection (the draft §3.1):
 * `transports` (Web Push, with the server's VAPID public key), `topic` and
 * `supported-triggers`. Only collections support push here, so members that
 * are not collections have none of them (the draft forbids `topic` and
 * `supported-triggers` there).
 */
import { DAV_NS, PUSH, clark, type PropValue } from '@davsync/protocol';

export const PUSH_PROPERTY_NAMES: readonly string[] = [PUSH.transports, PUSH.topic, PUSH.supportedTriggers];

/** What the properties are computed from. */
export interface PushPropertySource {
  readonly vapidPublicKey: string;
  topicOf(collection: string): string;
}

const depth = (value: string): { name: string; text: string } => ({ name: clark(DAV_NS, 'depth'), text: value });

/** Every trigger at every depth: changes are matched by path, so any depth costs the same. */
const SUPPORTED_TRIGGERS: PropValue = {
  children: [
    { name: PUSH.contentUpdate, children: [depth('infinity')] },
    { name: PUSH.propertyUpdate, children: [depth('infinity')] },
  ],
};

/** The value of push property `name` of the collection at `path`, or `undefined` when `name` is not one. */
export function pushPropertyValue(name: string, path: string, src: PushPropertySource): PropValue | undefined {
  switch (name) {
    case PUSH.transports:
      return { children: [{ name: PUSH.webPush, children: [{ name: PUSH.vapidPublicKey, attrs: { type: 'p256ecdsa' }, text: src.vapidPublicKey }] }] };
    case PUSH.topic:
      return { text: src.topicOf(path) };
    case PUSH.supportedTriggers:
      return SUPPORTED_TRIGGERS;
    default:
      return undefined;
  }
}
