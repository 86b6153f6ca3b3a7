/**
 * The fs store's {@link PushRegistrationStore}: WebDAV-Push registrations in
 * the state database, so they survive a restart (clients register for days;
 * losing them all on every restart would silence every phone until its next
 * periodic sync). The rules are core's (`push/registration.ts`); this class
 * keeps rows. A change looks registrations up with one `IN` over the
 * `UNIQUE (collection, push_resource)` index; expired rows are never
 * returned and are purged at the start of every write.
 */
import {
  DavError,
  DEFAULT_MAX_PUSH_REGISTRATIONS,
  isWithin,
  newRegistrationId,
  registrationOfRow as registrationOf,
  STORED_PUSH_REGISTRATION_COLUMNS,
  storedRegistrationSettings,
  tooManyForUser,
  type PushRegistrationLimits,
  type PushDelivery,
  type PushDeliveryRecord,
  type PushRegistration,
  type PushRegistrationRequest,
  type PushRegistrationStore,
  type PushRegistrationStoreOptions,
  type StoredPushRegistrationRow,
} from '@davsync/core';
import { withStateDb, type StateDatabase } from './state-db';

/** SQLite's types: integers for times and for `last_ok`. */
type Row = StoredPushRegistrationRow & { created: number; expires: number; last_at: number | null; last_ok: number | null };

const COLUMNS = STORED_PUSH_REGISTRATION_COLUMNS;

export class SqlitePushRegistrationStore implements PushRegistrationStore {
  readonly #db: StateDatabase;
  readonly #now: () => number;
  readonly #register: (request: PushRegistrationRequest, limits: PushRegistrationLimits) => { registration: PushRegistration; created: boolean };
  readonly #get: (id: string) => Row | undefined;
  readonly #remove: (id: string) => number;
  readonly #at: (collections: string, now: number) => Row[];
  readonly #all: (now: number) => Row[];
  readonly #record: (id: string, delivery: PushDelivery) => Row | undefined;
  readonly #recordMany: (deliveries: readonly PushDeliveryRecord[]) => void;
  readonly #getMany: (ids: string, now: number) => Row[];
  readonly #forUser: (user: string | undefined, collection: string) => number;
  readonly #purge: (now: number) => number;
  readonly #count: (now: number) => number;

  /** A store over an open state database (from `openStateDb`); closing the database is the caller's business. */
  constructor(db: StateDatabase, options: PushRegistrationStoreOptions = {}) {
    this.#db = db;
    const now = (this.#now = options.now ?? Date.now);
    const max = options.maxRegistrations ?? DEFAULT_MAX_PUSH_REGISTRATIONS;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('davsync: maxRegistrations must be a positive integer');
    const byId = db.prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM push_registrations WHERE id = ? AND expires > ?`);
    const byResource = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM push_registrations WHERE collection = ? AND push_resource = ?`);
    const byIds = db.prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM push_registrations WHERE id IN (SELECT value FROM json_each(?)) AND expires > ?`);
    const at = db.prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM push_registrations WHERE collection IN (SELECT value FROM json_each(?)) AND expires > ? ORDER BY created, rowid`);
    const insert = db.prepare(
      `INSERT INTO push_registrations (id, collection, push_resource, user, public_key, auth_secret, content_depth, property_depth, created, expires, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    );
    const update = db.prepare('UPDATE push_registrations SET user = ?, public_key = ?, auth_secret = ?, content_depth = ?, property_depth = ?, expires = ? WHERE id = ?');
    const remove = db.prepare('DELETE FROM push_registrations WHERE id = ?');
    const record = db.prepare(
      'UPDATE push_registrations SET last_at = ?, last_ok = ?, last_status = ?, last_error = ?, failures = CASE WHEN ? THEN 0 ELSE failures + 1 END WHERE id = ? AND expires > ?',
    );
    const ofUser = db.prepare<[string | null, string | null], { id: string; collection: string }>('SELECT id, collection FROM push_registrations WHERE user IS ? OR user = ?');
    const purge = db.prepare('DELETE FROM push_registrations WHERE expires <= ?');
    const count = db.prepare<[number], number>('SELECT count(*) FROM push_registrations WHERE expires > ?').pluck();
    const countOfUser = db.prepare<[string | null, number], number>('SELECT count(*) FROM push_registrations WHERE user IS ? AND expires > ?').pluck();

    this.#get = (id) => byId.get(id, now());
    this.#at = (collections, t) => at.all(collections, t);
    this.#getMany = (ids, t) => byIds.all(ids, t);
    const all = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM push_registrations WHERE expires > ? ORDER BY collection, created, rowid`);
    this.#all = (t) => all.all(t);
    this.#count = (t) => count.get(t) as number;
    this.#purge = (t) => purge.run(t).changes;
    // Every write transaction is IMMEDIATE, as in the lock store: the journal's writer thread shares the file.
    const register = db.transaction((request: PushRegistrationRequest, limits: PushRegistrationLimits) => {
      const t = now();
      purge.run(t);
      const existing = byResource.get(request.collection, request.subscription.pushResource);
      const args = storedRegistrationSettings(request);
      if (existing !== undefined) {
        update.run(...args, existing.id);
        return { registration: registrationOf(byId.get(existing.id, t) as Row), created: false };
      }
      if ((count.get(t) as number) >= max) {
        throw new DavError('insufficient-storage', `davsync: the server holds its maximum of ${max} push registrations`, request.collection);
      }
      if (limits.maxForUser !== undefined && (countOfUser.get(request.user ?? null, t) as number) >= limits.maxForUser) throw tooManyForUser(limits.maxForUser, request.collection);
      const id = newRegistrationId();
      const [user, publicKey, authSecret, contentDepth, propertyDepth, expires] = args;
      insert.run(id, request.collection, request.subscription.pushResource, user, publicKey, authSecret, contentDepth, propertyDepth, t, expires);
      return { registration: registrationOf(byId.get(id, t) as Row), created: true };
    });
    this.#register = (request, limits) => register.immediate(request, limits);
    this.#remove = (id) => remove.run(id).changes;
    const recordTx = db.transaction((id: string, d: PushDelivery) => {
      const t = now();
      if (record.run(d.at, d.ok ? 1 : 0, d.status ?? null, d.error ?? null, d.ok ? 1 : 0, id, t).changes === 0) return undefined;
      return byId.get(id, t);
    });
    this.#record = (id, d) => recordTx.immediate(id, d);
    // A fan-out's deliveries in one transaction: one fsync, not one per message.
    const recordManyTx = db.transaction((deliveries: readonly PushDeliveryRecord[]) => {
      const t = now();
      for (const { id, delivery: d } of deliveries) record.run(d.at, d.ok ? 1 : 0, d.status ?? null, d.error ?? null, d.ok ? 1 : 0, id, t);
    });
    this.#recordMany = (deliveries) => recordManyTx.immediate(deliveries);
    const forUser = db.transaction((user: string | undefined, collection: string) => {
      purge.run(now());
      const u = user ?? null;
      let removed = 0;
      for (const r of ofUser.all(u, u)) {
        if ((r.collection === collection || isWithin(r.collection, collection)) && remove.run(r.id).changes > 0) removed += 1;
      }
      return removed;
    });
    this.#forUser = (user, collection) => forUser.immediate(user, collection);
  }

  async register(request: PushRegistrationRequest, limits: PushRegistrationLimits = {}): Promise<{ registration: PushRegistration; created: boolean }> {
    return withStateDb(this.#db, 'registering for push', () => this.#register(request, limits));
  }

  async get(id: string): Promise<PushRegistration | undefined> {
    const row = withStateDb(this.#db, 'reading a push registration', () => this.#get(id));
    return row === undefined ? undefined : registrationOf(row);
  }

  async getMany(ids: readonly string[]): Promise<PushRegistration[]> {
    const json = JSON.stringify(ids);
    return withStateDb(this.#db, 'reading push registrations', () => this.#getMany(json, this.#now())).map(registrationOf);
  }

  async remove(id: string): Promise<boolean> {
    const now = this.#now();
    return withStateDb(this.#db, 'removing a push registration', () => {
      this.#purge(now);
      return this.#remove(id) > 0;
    });
  }

  async atCollections(collections: readonly string[]): Promise<PushRegistration[]> {
    const json = JSON.stringify([...new Set(collections)]);
    return withStateDb(this.#db, 'reading push registrations', () => this.#at(json, this.#now())).map(registrationOf);
  }

  async list(collection: string): Promise<PushRegistration[]> {
    return this.atCollections([collection]);
  }

  async all(): Promise<PushRegistration[]> {
    return withStateDb(this.#db, 'reading push registrations', () => this.#all(this.#now())).map(registrationOf);
  }

  async recordDelivery(id: string, delivery: PushDelivery): Promise<PushRegistration | undefined> {
    const row = withStateDb(this.#db, 'recording a push delivery', () => this.#record(id, delivery));
    return row === undefined ? undefined : registrationOf(row);
  }

  async recordDeliveries(deliveries: readonly PushDeliveryRecord[]): Promise<void> {
    if (deliveries.length > 0) withStateDb(this.#db, 'recording push deliveries', () => this.#recordMany(deliveries));
  }

  async removeForUser(user: string | undefined, collection: string): Promise<number> {
    return withStateDb(this.#db, 'removing push registrations', () => this.#forUser(user, collection));
  }

  async purgeExpired(): Promise<number> {
    return withStateDb(this.#db, 'purging expired push registrations', () => this.#purge(this.#now()));
  }

  async count(): Promise<number> {
    return withStateDb(this.#db, 'counting push registrations', () => this.#count(this.#now()));
  }
}
