/**
 * A push registration as a SQL row, for the stores that keep registrations
 * in a table (the fs store's SQLite state database, PostgreSQL): the
 * columns, the row ⇄ {@link PushRegistration} codec. One copy, so the two
 * tables cannot come to read or write a registration differently; each
 * store keeps only its SQL dialect and maps its column types (SQLite hands
 * back integers where PostgreSQL hands back booleans and bigint strings).
 */
import type { PushDelivery, PushDepth, PushRegistration, PushRegistrationRequest } from './registration';

/** A `push_registrations` row as a driver returns it. */
export interface StoredPushRegistrationRow {
  id: string;
  collection: string;
  push_resource: string;
  user: string | null;
  public_key: string;
  auth_secret: string;
  /** `'0'`, `'1'`, `'infinity'`; null: the trigger is absent. */
  content_depth: string | null;
  property_depth: string | null;
  /** ms since the epoch: a number from SQLite, a string from PostgreSQL's bigint. */
  created: number | string;
  expires: number | string;
  failures: number;
  last_at: number | string | null;
  /** 0/1 from SQLite, a boolean from PostgreSQL. */
  last_ok: number | boolean | null;
  last_status: number | null;
  last_error: string | null;
}

/**
 * The columns a SELECT or RETURNING reads, named as {@link StoredPushRegistrationRow}.
 * `user` is quoted: a reserved word in PostgreSQL, an ordinary name SQLite accepts quoted too.
 */
export const STORED_PUSH_REGISTRATION_COLUMNS =
  'id, collection, push_resource, "user", public_key, auth_secret, content_depth, property_depth, created, expires, failures, last_at, last_ok, last_status, last_error';

/** A trigger's depth as its column holds it. */
export const pushDepthText = (depth: PushDepth | undefined): string | null => (depth === undefined ? null : String(depth));

/** A depth column's trigger depth (anything but `'1'` and `'infinity'` reads as 0, the narrowest). */
export const pushDepthOf = (text: string | null): PushDepth | undefined => (text === null ? undefined : text === 'infinity' ? 'infinity' : text === '1' ? 1 : 0);

/**
 * What a (re-)registration writes besides the identity columns, in this
 * order: `user, public_key, auth_secret, content_depth, property_depth, expires`.
 */
export const storedRegistrationSettings = (r: PushRegistrationRequest): [string | null, string, string, string | null, string | null, number] => [
  r.user ?? null,
  r.subscription.publicKey,
  r.subscription.authSecret,
  pushDepthText(r.trigger.contentUpdate),
  pushDepthText(r.trigger.propertyUpdate),
  r.expires,
];

/** The registration a row holds. */
export function registrationOfRow(r: StoredPushRegistrationRow): PushRegistration {
  const contentUpdate = pushDepthOf(r.content_depth);
  const propertyUpdate = pushDepthOf(r.property_depth);
  const lastDelivery: PushDelivery | undefined =
    r.last_at === null
      ? undefined
      : {
          at: Number(r.last_at),
          ok: r.last_ok === true || r.last_ok === 1,
          ...(r.last_status === null ? {} : { status: r.last_status }),
          ...(r.last_error === null ? {} : { error: r.last_error }),
        };
  return {
    id: r.id,
    collection: r.collection,
    user: r.user ?? undefined,
    subscription: { pushResource: r.push_resource, publicKey: r.public_key, authSecret: r.auth_secret },
    trigger: { ...(contentUpdate === undefined ? {} : { contentUpdate }), ...(propertyUpdate === undefined ? {} : { propertyUpdate }) },
    created: Number(r.created),
    expires: Number(r.expires),
    failures: r.failures,
    ...(lastDelivery === undefined ? {} : { lastDelivery }),
  };
}
