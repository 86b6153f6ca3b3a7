/**
 * The push-registration-store conformance suite: every
 * `PushRegistrationStore` (in memory, and the durable ones to come in the
 * fs store's SQLite database and in PostgreSQL) is checked by the same
 * tests — one registration per push resource and collection, lookup by the
 * collections a change touched, delivery bookkeeping, removal, expiry on the
 * suite's clock, the cap.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { expectDavError } from './assertions';
import type { PushRegistrationRequest } from '../push/registration';
import type { PushRegistrationStore, PushRegistrationStoreOptions } from '../push/registration-store';

/** What the suite hands to `create`: the clock and cap to give the store. */
export interface PushRegistrationSuiteContext extends PushRegistrationStoreOptions {
  /** The suite's clock (ms since the epoch): the store must read time from it only. */
  readonly now: () => number;
}

export interface PushRegistrationSuiteOptions {
  /** Names the store in the test titles. */
  readonly name: string;
  /** A new, empty store with these options. */
  readonly create: (context: PushRegistrationSuiteContext) => PushRegistrationStore | Promise<PushRegistrationStore>;
  /** Releases what `create` made; the suite has already called the store's `close()`. */
  readonly cleanup?: (store: PushRegistrationStore) => void | Promise<void>;
}

const START_TIME = 1_700_000_000_000;
const HOUR = 3_600_000;

/** A registration request for `collection` with a push resource named `name`. */
function request(collection: string, name: string, overrides: Partial<PushRegistrationRequest> = {}): PushRegistrationRequest {
  return {
    collection,
    user: 'alice',
    subscription: { pushResource: `https://push.example/${name}`, publicKey: `key-${name}`, authSecret: `auth-${name}` },
    trigger: { contentUpdate: 1 },
    expires: START_TIME + HOUR,
    ...overrides,
  };
}

const ids = (regs: readonly { id: string }[]): string[] => regs.map((r) => r.id).sort();

/**
 * Defines the conformance tests of the `PushRegistrationStore` contract for
 * one store. Call it once at the top level of a test file.
 *
 * @example
 * definePushRegistrationStoreSuite({ name: 'memory', create: (o) => new MemoryPushRegistrationStore(o) });
 */
export function definePushRegistrationStoreSuite(options: PushRegistrationSuiteOptions): void {
  describe(`PushRegistrationStore conformance: ${options.name}`, () => {
    let clock = START_TIME;
    let opened: PushRegistrationStore[] = [];
    const fresh = async (limits: Omit<PushRegistrationStoreOptions, 'now'> = {}): Promise<PushRegistrationStore> => {
      const store = await options.create({ ...limits, now: () => clock });
      opened.push(store);
      return store;
    };
    beforeEach(() => {
      clock = START_TIME;
    });
    afterEach(async () => {
      const stores = opened;
      opened = [];
      for (const s of stores) {
        await s.close?.();
        await options.cleanup?.(s);
      }
    });

    it('registers with a fresh URL-safe id and keeps every field', async () => {
      const store = await fresh();
      const asked = request('/cal', 'a', { trigger: { contentUpdate: 'infinity', propertyUpdate: 0 }, user: undefined });
      const { registration, created } = await store.register(asked);
      expect(created).toBe(true);
      expect(registration.id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(registration).toMatchObject({ ...asked, created: START_TIME, failures: 0 });
      expect(registration.lastDelivery).toBeUndefined();
      expect(await store.get(registration.id)).toEqual(registration);
      const other = await store.register(request('/cal', 'b'));
      expect(other.registration.id).not.toBe(registration.id);
      expect(await store.count()).toBe(2);
    });

    it('re-registering a push resource on a collection updates it in place, keeping its id', async () => {
      const store = await fresh();
      const first = (await store.register(request('/cal', 'a'))).registration;
      clock += 1000;
      const again = await store.register(request('/cal', 'a', { trigger: { propertyUpdate: 0 }, expires: START_TIME + 2 * HOUR, subscription: { pushResource: 'https://push.example/a', publicKey: 'new', authSecret: 'new-auth' } }));
      expect(again.created).toBe(false);
      expect(again.registration).toMatchObject({ id: first.id, created: START_TIME, trigger: { propertyUpdate: 0 }, expires: START_TIME + 2 * HOUR });
      expect(again.registration.subscription.publicKey).toBe('new');
      expect(await store.count()).toBe(1);
      // The same push resource on another collection is another registration.
      const elsewhere = await store.register(request('/books', 'a'));
      expect(elsewhere.created).toBe(true);
      expect(elsewhere.registration.id).not.toBe(first.id);
    });

    it('finds registrations by the collections a change touched, and only those', async () => {
      const store = await fresh();
      const root = (await store.register(request('/', 'r'))).registration;
      const cal = (await store.register(request('/cal', 'c'))).registration;
      const cal2 = (await store.register(request('/cal', 'c2'))).registration;
      const sub = (await store.register(request('/cal/sub', 's'))).registration;
      const books = (await store.register(request('/books', 'b'))).registration;
      expect(ids(await store.atCollections(['/', '/cal', '/cal/x.ics']))).toEqual(ids([root, cal, cal2]));
      // `all` (optional in the contract): every one, by collection (bytewise), then oldest first.
      if (store.all !== undefined) expect((await store.all()).map((r) => r.id)).toEqual([root.id, books.id, cal.id, cal2.id, sub.id]);
      expect(await store.atCollections(['/nothing'])).toEqual([]);
      expect(ids(await store.atCollections(['/cal', '/cal']))).toEqual(ids([cal, cal2])); // each once
      expect((await store.list('/cal')).map((r) => r.id)).toEqual([cal.id, cal2.id]);
    });

    it('records deliveries: failures count up in a row and reset on success', async () => {
      const store = await fresh();
      const { id } = (await store.register(request('/cal', 'a'))).registration;
      await store.recordDelivery(id, { at: clock, ok: false, status: 500, error: 'push service answered 500' });
      const twice = await store.recordDelivery(id, { at: clock + 1, ok: false, error: 'ECONNREFUSED' });
      expect(twice).toMatchObject({ failures: 2, lastDelivery: { at: clock + 1, ok: false, error: 'ECONNREFUSED' } });
      const ok = await store.recordDelivery(id, { at: clock + 2, ok: true, status: 201 });
      expect(ok).toMatchObject({ failures: 0, lastDelivery: { at: clock + 2, ok: true, status: 201 } });
      expect(await store.get(id)).toEqual(ok);
      expect(await store.recordDelivery('no-such-id', { at: clock, ok: true })).toBeUndefined();
    });

    it('reads many by id and records many deliveries at once, when it offers them (optional)', async () => {
      const store = await fresh();
      const a = (await store.register(request('/cal', 'a'))).registration;
      const b = (await store.register(request('/cal', 'b'))).registration;
      const short = (await store.register(request('/cal', 'short', { expires: clock + 1000 }))).registration;
      if (store.getMany !== undefined) {
        expect(ids(await store.getMany([a.id, 'no-such-id', b.id, short.id]))).toEqual(ids([a, b, short]));
        expect(await store.getMany([])).toEqual([]);
      }
      if (store.recordDeliveries !== undefined) {
        await store.recordDelivery(b.id, { at: clock, ok: false, status: 503 });
        await store.recordDeliveries([
          { id: a.id, delivery: { at: clock + 1, ok: true, status: 201 } },
          { id: b.id, delivery: { at: clock + 2, ok: false, error: 'ECONNRESET' } },
          { id: 'no-such-id', delivery: { at: clock + 3, ok: true, status: 201 } },
        ]);
        expect(await store.get(a.id)).toMatchObject({ failures: 0, lastDelivery: { at: clock + 1, ok: true, status: 201 } });
        expect(await store.get(b.id)).toMatchObject({ failures: 2, lastDelivery: { at: clock + 2, ok: false, error: 'ECONNRESET' } });
        await store.recordDeliveries([{ id: b.id, delivery: { at: clock + 4, ok: true, status: 202 } }]);
        expect(await store.get(b.id)).toMatchObject({ failures: 0, lastDelivery: { at: clock + 4, ok: true, status: 202 } });
        await store.recordDeliveries([]);
      }
      clock += 1000; // `short` expires: gone from both
      if (store.getMany !== undefined) expect(ids(await store.getMany([a.id, short.id]))).toEqual(ids([a]));
      await store.recordDeliveries?.([{ id: short.id, delivery: { at: clock, ok: true } }]);
      expect(await store.get(short.id)).toBeUndefined();
    });

    it('removes by id, and a user\'s registrations on a collection and below', async () => {
      const store = await fresh();
      const a = (await store.register(request('/cal', 'a'))).registration;
      await store.register(request('/cal/sub', 'b'));
      const bob = (await store.register(request('/cal', 'c', { user: 'bob' }))).registration;
      const other = (await store.register(request('/calendar', 'd'))).registration;
      expect(await store.remove(a.id)).toBe(true);
      expect(await store.remove(a.id)).toBe(false);
      expect(await store.get(a.id)).toBeUndefined();
      expect(await store.removeForUser('alice', '/cal')).toBe(1);
      expect(ids(await store.atCollections(['/cal', '/cal/sub', '/calendar']))).toEqual(ids([bob, other]));
      // A removed push resource can be registered anew, as a new registration.
      expect((await store.register(request('/cal', 'a'))).created).toBe(true);
    });

    it('expired registrations are gone from every method and purged', async () => {
      const store = await fresh();
      const short = (await store.register(request('/cal', 'a', { expires: START_TIME + 1000 }))).registration;
      const long = (await store.register(request('/cal', 'b'))).registration;
      clock += 999;
      expect(await store.get(short.id)).toBeDefined();
      clock += 1;
      expect(await store.get(short.id)).toBeUndefined();
      expect(ids(await store.atCollections(['/cal']))).toEqual([long.id]);
      if (store.all !== undefined) expect((await store.all()).map((r) => r.id)).toEqual([long.id]);
      expect(await store.count()).toBe(1);
      expect(await store.recordDelivery(short.id, { at: clock, ok: true })).toBeUndefined();
      // Re-registering before expiry extends it.
      await store.register(request('/cal', 'b', { expires: clock + 10 * HOUR }));
      clock = START_TIME + 2 * HOUR;
      expect(await store.get(long.id)).toBeDefined();
      clock = START_TIME + 11 * HOUR;
      expect(await store.purgeExpired()).toBeGreaterThanOrEqual(0);
      expect(await store.count()).toBe(0);
    });

    it('refuses a user\'s new registration past maxForUser with a forbidden error, not others\' nor updates', async () => {
      const store = await fresh();
      const limits = { maxForUser: 2 };
      await store.register(request('/cal', 'a'), limits);
      await store.register(request('/books', 'b'), limits);
      await expectDavError('forbidden', () => store.register(request('/cal', 'c'), limits));
      expect((await store.register(request('/cal', 'a', { expires: START_TIME + 2 * HOUR }), limits)).created).toBe(false);
      expect((await store.register(request('/cal', 'c', { user: 'bob' }), limits)).created).toBe(true);
      expect((await store.register(request('/cal', 'd', { user: undefined }), limits)).created).toBe(true);
      await expectDavError('forbidden', () => store.register(request('/cal', 'e', { user: undefined }), { maxForUser: 1 }));
      expect((await store.register(request('/cal', 'f'))).created).toBe(true); // no limit given: none applied
    });

    it('refuses new registrations past the cap, but still updates existing ones', async () => {
      const store = await fresh({ maxRegistrations: 2 });
      await store.register(request('/cal', 'a', { expires: START_TIME + 1000 }));
      await store.register(request('/cal', 'b'));
      await expectDavError('insufficient-storage', () => store.register(request('/cal', 'c')));
      expect((await store.register(request('/cal', 'b', { expires: START_TIME + 2 * HOUR }))).created).toBe(false);
      clock += 1000; // the first expires: room again
      expect((await store.register(request('/cal', 'c'))).created).toBe(true);
    });
  });
}
