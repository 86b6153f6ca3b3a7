/**
 * WebDAV-Push registrations in PostgreSQL, shared by every instance on the
 * database: a client registers through one instance, and a change made
 * through any instance is pushed to it by the instance that made the
 * change (each instance's dispatcher listens to its own engine, and every
 * instance finds every registration here). The rules are core's
 * (`push/registration.ts`); this class keeps rows.
 *
 * `register` is an upsert by (collection, push resource) plus the cap
 * check; a transaction-scoped advisory lock on the store serializes it, so
 * two instances cannot both take the last place. A change's lookup is one
 * `= ANY` over the `UNIQUE (collection, push_resource)` index. Time is the
 * instances' clock (`now`): keep their clocks in agreement (NTP).
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
import type { Pool } from 'pg';
import { quoteSchema } from './schema';
import { inTransaction, query } from './transaction';

export interface PostgresPushRegistrationStoreOptions extends PushRegistrationStoreOptions {
  /** The pool (the store does not end it). */
  readonly pool: Pool;
  /** The PostgreSQL schema holding davsync's tables. Default `davsync`. */
  readonly schema?: string;
}

/** PostgreSQL's types: bigint strings for times, a boolean `last_ok`. */
type Row = StoredPushRegistrationRow & { created: string; expires: string; last_at: string | null; last_ok: boolean | null };

const COLUMNS = STORED_PUSH_REGISTRATION_COLUMNS;

export class PostgresPushRegistrationStore implements PushRegistrationStore {
  readonly #pool: Pool;
  readonly #now: () => number;
  readonly #max: number;
  readonly #key: string;
  readonly #sql: Readonly<Record<'get' | 'getMany' | 'recordMany' | 'byResource' | 'at' | 'all' | 'insert' | 'update' | 'delete' | 'record' | 'ofUser' | 'purge' | 'count' | 'countOfUser', string>>;

  constructor(options: PostgresPushRegistrationStoreOptions) {
    const schema = options.schema ?? 'davsync';
    const s = quoteSchema(schema);
    this.#pool = options.pool;
    this.#now = options.now ?? Date.now;
    this.#max = options.maxRegistrations ?? DEFAULT_MAX_PUSH_REGISTRATIONS;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new TypeError('davsync: maxRegistrations must be a positive integer');
    this.#key = `davsync push ${schema}`;
    const t = `${s}.push_registrations`;
    this.#sql = {
      get: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1 AND expires > $2`,
      getMany: `SELECT ${COLUMNS} FROM ${t} WHERE id = ANY ($1::text[]) AND expires > $2`,
      // A fan-out's deliveries in one statement (the ids are distinct: the contract says so).
      recordMany: `UPDATE ${t} AS r SET last_at = d.at, last_ok = d.ok, last_status = d.status, last_error = d.error, failures = CASE WHEN d.ok THEN 0 ELSE r.failures + 1 END
        FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::int[], $5::text[]) AS d(id, at, ok, status, error) WHERE r.id = d.id AND r.expires > $6`,
      byResource: `SELECT id FROM ${t} WHERE collection = $1 AND push_resource = $2`,
      at: `SELECT ${COLUMNS} FROM ${t} WHERE collection = ANY ($1::text[]) AND expires > $2 ORDER BY created, seq`,
      all: `SELECT ${COLUMNS} FROM ${t} WHERE expires > $1 ORDER BY collection COLLATE "C", created, seq`,
      insert: `INSERT INTO ${t} (id, collection, push_resource, "user", public_key, auth_secret, content_depth, property_depth, created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      update: `UPDATE ${t} SET "user" = $2, public_key = $3, auth_secret = $4, content_depth = $5, property_depth = $6, expires = $7 WHERE id = $1 RETURNING ${COLUMNS}`,
      delete: `DELETE FROM ${t} WHERE id = $1`,
      record: `UPDATE ${t} SET last_at = $2, last_ok = $3, last_status = $4, last_error = $5, failures = CASE WHEN $3 THEN 0 ELSE failures + 1 END WHERE id = $1 AND expires > $6 RETURNING ${COLUMNS}`,
      ofUser: `SELECT id, collection FROM ${t} WHERE "user" IS NOT DISTINCT FROM $1`,
      purge: `DELETE FROM ${t} WHERE expires <= $1`,
      count: `SELECT count(*) AS n FROM ${t} WHERE expires > $1`,
      countOfUser: `SELECT count(*) AS n FROM ${t} WHERE "user" IS NOT DISTINCT FROM $1 AND expires > $2`,
    };
  }

  async register(request: PushRegistrationRequest, limits: PushRegistrationLimits = {}): Promise<{ registration: PushRegistration; created: boolean }> {
    return inTransaction(this.#pool, 'registering for push', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#key]);
      const now = this.#now();
      await client.query(this.#sql.purge, [now]);
      const sub = request.subscription;
      const values = storedRegistrationSettings(request);
      const existing = (await client.query<{ id: string }>(this.#sql.byResource, [request.collection, sub.pushResource])).rows[0];
      if (existing !== undefined) {
        const row = (await client.query<Row>(this.#sql.update, [existing.id, ...values])).rows[0] as Row;
        return { registration: registrationOf(row), created: false };
      }
      const count = Number((await client.query<{ n: string }>(this.#sql.count, [now])).rows[0]?.n ?? 0);
      if (count >= this.#max) throw new DavError('insufficient-storage', `davsync: the server holds its maximum of ${this.#max} push registrations`, request.collection);
      if (limits.maxForUser !== undefined) {
        const mine = Number((await client.query<{ n: string }>(this.#sql.countOfUser, [request.user ?? null, now])).rows[0]?.n ?? 0);
        if (mine >= limits.maxForUser) throw tooManyForUser(limits.maxForUser, request.collection);
      }
      const row = (
        await client.query<Row>(this.#sql.insert, [newRegistrationId(), request.collection, sub.pushResource, request.user ?? null, sub.publicKey, sub.authSecret, values[3], values[4], now, request.expires])
      ).rows[0] as Row;
      return { registration: registrationOf(row), created: true };
    });
  }

  async get(id: string): Promise<PushRegistration | undefined> {
    const rows = await query<Row>(this.#pool, 'reading a push registration', { text: this.#sql.get, values: [id, this.#now()] });
    return rows[0] === undefined ? undefined : registrationOf(rows[0]);
  }

  async getMany(ids: readonly string[]): Promise<PushRegistration[]> {
    const rows = await query<Row>(this.#pool, 'reading push registrations', { text: this.#sql.getMany, values: [[...ids], this.#now()] });
    return rows.map(registrationOf);
  }

  async remove(id: string): Promise<boolean> {
    return inTransaction(this.#pool, 'removing a push registration', async (client) => {
      await client.query(this.#sql.purge, [this.#now()]);
      return ((await client.query(this.#sql.delete, [id])).rowCount ?? 0) > 0;
    });
  }

  async atCollections(collections: readonly string[]): Promise<PushRegistration[]> {
    const rows = await query<Row>(this.#pool, 'reading push registrations', { text: this.#sql.at, values: [[...new Set(collections)], this.#now()] });
    return rows.map(registrationOf);
  }

  async list(collection: string): Promise<PushRegistration[]> {
    return this.atCollections([collection]);
  }

  async all(): Promise<PushRegistration[]> {
    const rows = await query<Row>(this.#pool, 'reading push registrations', { text: this.#sql.all, values: [this.#now()] });
    return rows.map(registrationOf);
  }

  async recordDelivery(id: string, d: PushDelivery): Promise<PushRegistration | undefined> {
    const rows = await query<Row>(this.#pool, 'recording a push delivery', { text: this.#sql.record, values: [id, d.at, d.ok, d.status ?? null, d.error ?? null, this.#now()] });
    return rows[0] === undefined ? undefined : registrationOf(rows[0]);
  }

  async recordDeliveries(deliveries: readonly PushDeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return;
    const column = <T>(f: (r: PushDeliveryRecord) => T): T[] => deliveries.map(f);
    await query(this.#pool, 'recording push deliveries', {
      text: this.#sql.recordMany,
      values: [column((r) => r.id), column((r) => r.delivery.at), column((r) => r.delivery.ok), column((r) => r.delivery.status ?? null), column((r) => r.delivery.error ?? null), this.#now()],
    });
  }

  async removeForUser(user: string | undefined, collection: string): Promise<number> {
    return inTransaction(this.#pool, 'removing push registrations', async (client) => {
      await client.query(this.#sql.purge, [this.#now()]);
      let removed = 0;
      for (const r of (await client.query<{ id: string; collection: string }>(this.#sql.ofUser, [user ?? null])).rows) {
        if (isWithin(r.collection, collection)) removed += (await client.query(this.#sql.delete, [r.id])).rowCount ?? 0;
      }
      return removed;
    });
  }

  async purgeExpired(): Promise<number> {
    const rows = await query<{ id: string }>(this.#pool, 'purging expired push registrations', { text: `${this.#sql.purge} RETURNING id`, values: [this.#now()] });
    return rows.length;
  }

  async count(): Promise<number> {
    const rows = await query<{ n: string }>(this.#pool, 'counting push registrations', { text: this.#sql.count, values: [this.#now()] });
    return Number(rows[0]?.n ?? 0);
  }
}
