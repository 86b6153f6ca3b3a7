/**
 * A {@link PushRegistrationStore} in memory: registrations by id and by
 * collection (then push resource), so a change finds its collections'
 * registrations with one map lookup each. Expired ones leave through the
 * same expiry heap the memory lock store uses, purged at the start of every
 * call, so nothing scans all registrations. Every method runs without an
 * `await` between its check and its change. Forgotten on restart.
 */
import { randomBytes } from 'node:crypto';
import { DavError } from '../errors';
import { isWithin } from '../paths';
import { ExpiryQueue } from '../locks/expiry-queue';
import type { PushDelivery, PushRegistration, PushRegistrationRequest } from './registration';
import { DEFAULT_MAX_PUSH_REGISTRATIONS, tooManyForUser, type PushDeliveryRecord, type PushRegistrationLimits, type PushRegistrationStore, type PushRegistrationStoreOptions } from './registration-store';

/** A registration id: 128 random bits, base64url (URL-safe, unguessable). */
export function newRegistrationId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * @example
 * const registrations = new MemoryPushRegistrationStore({ maxRegistrations: 1000 });
 */
export class MemoryPushRegistrationStore implements PushRegistrationStore {
  private readonly now: () => number;
  private readonly max: number;
  private readonly byId = new Map<string, PushRegistration>();
  /** collection → push resource → id. */
  private readonly byCollection = new Map<string, Map<string, string>>();
  private readonly expiry = new ExpiryQueue();
  /** Live registrations per user, for `maxForUser` without a scan. */
  private readonly perUser = new Map<string | undefined, number>();

  constructor(options: PushRegistrationStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.max = options.maxRegistrations ?? DEFAULT_MAX_PUSH_REGISTRATIONS;
    if (!Number.isInteger(this.max) || this.max < 1) throw new TypeError('davsync: maxRegistrations must be a positive integer');
  }

  async register(request: PushRegistrationRequest, limits: PushRegistrationLimits = {}): Promise<{ registration: PushRegistration; created: boolean }> {
    this.purge();
    const existingId = this.byCollection.get(request.collection)?.get(request.subscription.pushResource);
    const existing = existingId === undefined ? undefined : this.byId.get(existingId);
    if (existing !== undefined) {
      const registration: PushRegistration = { ...existing, user: request.user, subscription: request.subscription, trigger: request.trigger, expires: request.expires };
      this.put(registration);
      return { registration, created: false };
    }
    if (this.byId.size >= this.max) {
      throw new DavError('insufficient-storage', `davsync: the server holds its maximum of ${this.max} push registrations`, request.collection);
    }
    if (limits.maxForUser !== undefined && (this.perUser.get(request.user) ?? 0) >= limits.maxForUser) throw tooManyForUser(limits.maxForUser, request.collection);
    const registration: PushRegistration = { id: newRegistrationId(), ...request, created: this.now(), failures: 0 };
    this.put(registration);
    return { registration, created: true };
  }

  async get(id: string): Promise<PushRegistration | undefined> {
    this.purge();
    return this.byId.get(id);
  }

  async getMany(ids: readonly string[]): Promise<PushRegistration[]> {
    this.purge();
    const out: PushRegistration[] = [];
    for (const id of ids) {
      const registration = this.byId.get(id);
      if (registration !== undefined) out.push(registration);
    }
    return out;
  }

  async remove(id: string): Promise<boolean> {
    this.purge();
    return this.drop(id);
  }

  async atCollections(collections: readonly string[]): Promise<PushRegistration[]> {
    this.purge();
    const out: PushRegistration[] = [];
    for (const collection of new Set(collections)) {
      for (const id of this.byCollection.get(collection)?.values() ?? []) out.push(this.byId.get(id) as PushRegistration);
    }
    return out;
  }

  async list(collection: string): Promise<PushRegistration[]> {
    return (await this.atCollections([collection])).sort((a, b) => a.created - b.created);
  }

  async all(): Promise<PushRegistration[]> {
    this.purge();
    return [...this.byId.values()].sort((a, b) => (a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : a.created - b.created));
  }

  async recordDelivery(id: string, delivery: PushDelivery): Promise<PushRegistration | undefined> {
    this.purge();
    return this.record(id, delivery);
  }

  async recordDeliveries(deliveries: readonly PushDeliveryRecord[]): Promise<void> {
    this.purge();
    for (const { id, delivery } of deliveries) this.record(id, delivery);
  }

  private record(id: string, delivery: PushDelivery): PushRegistration | undefined {
    const current = this.byId.get(id);
    if (current === undefined) return undefined;
    const updated: PushRegistration = { ...current, lastDelivery: delivery, failures: delivery.ok ? 0 : current.failures + 1 };
    this.byId.set(id, updated);
    return updated;
  }

  async removeForUser(user: string | undefined, collection: string): Promise<number> {
    this.purge();
    const gone = [...this.byId.values()].filter((r) => r.user === user && isWithin(r.collection, collection)).map((r) => r.id);
    for (const id of gone) this.drop(id);
    return gone.length;
  }

  async purgeExpired(): Promise<number> {
    return this.purge();
  }

  async count(): Promise<number> {
    this.purge();
    return this.byId.size;
  }

  private put(registration: PushRegistration): void {
    const before = this.byId.get(registration.id);
    if (before !== undefined) this.countUser(before.user, -1);
    this.countUser(registration.user, 1);
    this.byId.set(registration.id, registration);
    let members = this.byCollection.get(registration.collection);
    if (members === undefined) this.byCollection.set(registration.collection, (members = new Map()));
    members.set(registration.subscription.pushResource, registration.id);
    this.expiry.push(registration.id, registration.expires);
  }

  private drop(id: string): boolean {
    const registration = this.byId.get(id);
    if (registration === undefined) return false;
    this.byId.delete(id);
    this.countUser(registration.user, -1);
    const members = this.byCollection.get(registration.collection);
    members?.delete(registration.subscription.pushResource);
    if (members?.size === 0) this.byCollection.delete(registration.collection);
    return true;
  }

  private countUser(user: string | undefined, delta: number): void {
    const n = (this.perUser.get(user) ?? 0) + delta;
    if (n > 0) this.perUser.set(user, n);
    else this.perUser.delete(user);
  }

  /** Drops every registration whose expiry has passed; a re-registered one's stale heap entry is skipped. */
  private purge(): number {
    const now = this.now();
    let dropped = 0;
    for (const { token, expires } of this.expiry.popExpired(now)) {
      if (this.byId.get(token)?.expires === expires && this.drop(token)) dropped += 1;
    }
    // Re-registrations leave stale entries behind; rebuild when they outnumber the live ones.
    if (this.expiry.size > 2 * this.byId.size + 64) this.expiry.rebuild([...this.byId.values()].map((r) => ({ token: r.id, expires: r.expires })));
    return dropped;
  }
}
