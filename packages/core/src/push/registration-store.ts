/**
 * The push registration store contract: where a server keeps its WebDAV-Push
 * registrations. One per server; in memory here, durable stores (the fs
 * store's SQLite state database, PostgreSQL) implement the same contract and
 * pass the same conformance suite (`definePushRegistrationStoreSuite` in
 * `@davsync/core/testing`).
 *
 * Every change looks registrations up by the collections it touched
 * (`atCollections`), so that lookup must be an index probe per collection,
 * never a scan of all registrations. Expired registrations are gone: no
 * method returns one and none counts towards the cap; a store drops them
 * when it likes (lazily, or on `purgeExpired`).
 */
import { DavError } from '../errors';
import type { PushDelivery, PushRegistration, PushRegistrationRequest } from './registration';

export interface PushRegistrationStoreOptions {
  /** The clock (ms since the epoch) expiry is judged by. Default `Date.now`. */
  readonly now?: () => number;
  /** Most live registrations the store holds; past it `register` refuses new ones. Default 10 000. */
  readonly maxRegistrations?: number;
}

export const DEFAULT_MAX_PUSH_REGISTRATIONS = 10_000;

/** Per-request limits of {@link PushRegistrationStore.register}. */
export interface PushRegistrationLimits {
  /** Most live registrations one user may hold; a new one past it is refused. */
  readonly maxForUser?: number;
}

/** The refusal of a registration past `maxForUser` (a 403 to the client, not a server failure). */
export function tooManyForUser(max: number, collection: string): DavError {
  return new DavError('forbidden', `davsync: at most ${max} push registrations per user`, collection);
}

/** One entry of {@link PushRegistrationStore.recordDeliveries}. */
export interface PushDeliveryRecord {
  readonly id: string;
  readonly delivery: PushDelivery;
}

export interface PushRegistrationStore {
  /**
   * Registers `request`, or — when a live registration of the same push
   * resource on the same collection exists (the draft: one per subscription
   * and resource) — updates that one's user, keys, trigger and expiry,
   * keeping its id and delivery state. `created` says which happened.
   *
   * @throws DavError('insufficient-storage') for a new registration when
   *   the store already holds `maxRegistrations` live ones;
   *   `tooManyForUser` (DavError 'forbidden') for a new one when its user
   *   already holds `limits.maxForUser`. Both checks are atomic with the insert.
   */
  register(request: PushRegistrationRequest, limits?: PushRegistrationLimits): Promise<{ registration: PushRegistration; created: boolean }>;

  /** The live registration with this id, or `undefined`. */
  get(id: string): Promise<PushRegistration | undefined>;

  /**
   * The live registrations among `ids`, in any order (absent: removed or
   * expired). The dispatcher re-reads a fan-out's registrations just before
   * sending with this, a slice at a time, instead of one `get` each (a
   * round trip per message on a database). Optional: without it, `get` per id.
   */
  getMany?(ids: readonly string[]): Promise<PushRegistration[]>;

  /** Removes the registration `id`; returns whether there was one. */
  remove(id: string): Promise<boolean>;

  /**
   * The live registrations of every collection in `collections` (the
   * collections a change touched): one index probe per collection.
   */
  atCollections(collections: readonly string[]): Promise<PushRegistration[]>;

  /** The live registrations on `collection` itself, oldest first (for operators). */
  list(collection: string): Promise<PushRegistration[]>;

  /**
   * Every live registration, by collection, then oldest first (for
   * operators: `davsync push list`). Optional, for stores written before it.
   */
  all?(): Promise<PushRegistration[]>;

  /**
   * Records how a delivery to `id` ended: `lastDelivery` becomes `delivery`;
   * `failures` resets on success and grows by one on failure. Returns the
   * updated registration, or `undefined` when it is gone.
   */
  recordDelivery(id: string, delivery: PushDelivery): Promise<PushRegistration | undefined>;

  /**
   * Records many deliveries at once, as `recordDelivery` each (a gone id is
   * skipped; the ids are distinct — one delivery per registration, its
   * newest): the dispatcher records a fan-out's successes in one
   * write (one transaction, one fsync) instead of one per message. Optional:
   * without it, `recordDelivery` per entry.
   */
  recordDeliveries?(deliveries: readonly PushDeliveryRecord[]): Promise<void>;

  /** Removes `user`'s registrations on `collection` and below it (their access was revoked); returns how many. */
  removeForUser(user: string | undefined, collection: string): Promise<number>;

  /** Drops expired registrations now; returns how many. */
  purgeExpired(): Promise<number>;

  /** How many live registrations the store holds. */
  count(): Promise<number>;

  /** Releases what the store owns. */
  close?(): Promise<void>;
}
