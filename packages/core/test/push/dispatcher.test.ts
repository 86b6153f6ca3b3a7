/**
 * PushDispatcher with a fake transport and jest's fake clock: which
 * registrations a change reaches (collection and depth), coalescing,
 * Push-Dont-Notify, 404/410 removal, back-off, expiry, revoked access, and
 * a real engine's change events end to end.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  affectedCollections,
  MemoryPushRegistrationStore,
  PushDispatcher,
  SyncLog,
  pushTopic,
  withoutPushTo,
  type PushDepth,
  type PushDispatcherOptions,
  type PushMessage,
  type PushRegistration,
  type PushTrigger,
} from '@davsync/core';

const START = 1_700_000_000_000;

interface Sent {
  readonly id: string;
  readonly at: number;
  readonly message: PushMessage;
}

/** A transport that records what it is asked to send and answers with `status` (or throws). */
class FakeTransport {
  readonly sent: Sent[] = [];
  status: number | Error = 201;
  async send(registration: PushRegistration, message: PushMessage): Promise<number> {
    this.sent.push({ id: registration.id, at: Date.now(), message });
    if (this.status instanceof Error) throw this.status;
    return this.status;
  }
  to(id: string): Sent[] {
    return this.sent.filter((s) => s.id === id);
  }
}

let store: MemoryPushRegistrationStore;
let transport: FakeTransport;
let dispatcher: PushDispatcher;
let tokens: Map<string, string>;

function setup(options: Partial<PushDispatcherOptions> = {}): void {
  dispatcher = new PushDispatcher({
    store,
    transport,
    topicOf: (c) => pushTopic('key', c),
    tokenOf: async (c) => tokens.get(c),
    coalesceMs: 1000,
    backoff: { baseMs: 100, maxMs: 1000, maxFailures: 3 },
    onError: (err) => {
      throw err;
    },
    ...options,
  });
}

async function register(collection: string, trigger: PushTrigger = { contentUpdate: 1 }, name = collection, expires = START + 3_600_000): Promise<PushRegistration> {
  const { registration } = await store.register({
    collection,
    user: 'alice',
    subscription: { pushResource: `https://push.example/${name}`, publicKey: 'k', authSecret: 'a' },
    trigger,
    expires,
  });
  return registration;
}

/** Raises a change at `paths` (the collections as the sync log computes them) and lets due timers run. */
async function change(...paths: string[]): Promise<void> {
  await dispatcher.notify({ paths, collections: affectedCollections(paths) });
}

const advance = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  jest.useFakeTimers({ now: START });
  store = new MemoryPushRegistrationStore();
  transport = new FakeTransport();
  tokens = new Map([['/cal', 'tok-1']]);
  setup();
});

afterEach(async () => {
  await dispatcher.close();
  jest.useRealTimers();
});

describe('which registrations a change reaches', () => {
  it.each<[PushDepth, string, boolean]>([
    [0, '/cal', true],
    [0, '/cal/a.ics', false],
    [1, '/cal/a.ics', true],
    [1, '/cal/sub/a.ics', false],
    ['infinity', '/cal/sub/deep/a.ics', true],
    ['infinity', '/calendar/a.ics', false],
    [1, '/other/a.ics', false],
  ])('depth %s on /cal, change at %s → %s', async (depth, path, reached) => {
    const reg = await register('/cal', { contentUpdate: depth });
    await change(path);
    await advance(0);
    expect(transport.to(reg.id)).toHaveLength(reached ? 1 : 0);
  });

  it('the message carries the topic, the fired triggers and the token read when sending', async () => {
    const reg = await register('/cal', { contentUpdate: 1, propertyUpdate: 0 });
    await change('/cal/a.ics');
    tokens.set('/cal', 'tok-2'); // changed again before the message leaves: the newest is sent
    await advance(0);
    expect(transport.to(reg.id).map((s) => s.message)).toEqual([{ topic: pushTopic('key', '/cal'), contentUpdate: true, propertyUpdate: false, syncToken: 'tok-2' }]);
    await advance(1000);
    await change('/cal');
    await advance(0);
    expect(transport.to(reg.id)[1]!.message).toMatchObject({ contentUpdate: true, propertyUpdate: true });
  });

  it.each<[string, 'content' | 'property' | undefined, boolean, boolean]>([
    ['a content change', 'content', true, false],
    ['a property change', 'property', false, true],
    ['a change of unknown kind (both: never a notification too few)', undefined, true, true],
  ])('%s fires only its trigger', async (_what, kind, content, property) => {
    const reg = await register('/cal', { contentUpdate: 1, propertyUpdate: 1 });
    const contentOnly = await register('/cal', { contentUpdate: 1 }, 'content-only');
    const propertyOnly = await register('/cal', { propertyUpdate: 1 }, 'property-only');
    await dispatcher.notify({ paths: ['/cal/a.ics'], collections: affectedCollections(['/cal/a.ics']), ...(kind === undefined ? {} : { kind }) });
    await advance(0);
    expect(transport.to(reg.id).map((s) => [s.message.contentUpdate, s.message.propertyUpdate])).toEqual([[content, property]]);
    expect([transport.to(contentOnly.id).length, transport.to(propertyOnly.id).length]).toEqual([content ? 1 : 0, property ? 1 : 0]);
  });

  it('topics are stable per collection and differ between collections and keys', () => {
    expect(pushTopic('key', '/cal')).toBe(pushTopic('key', '/cal'));
    expect(pushTopic('key', '/cal')).not.toBe(pushTopic('key', '/cal2'));
    expect(pushTopic('other', '/cal')).not.toBe(pushTopic('key', '/cal'));
    expect(pushTopic('key', '/cal')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('coalescing', () => {
  it('the first change goes at once; a burst inside the interval becomes one message at its end', async () => {
    const reg = await register('/cal');
    await change('/cal/1');
    await advance(0);
    expect(transport.to(reg.id).map((s) => s.at)).toEqual([START]);
    for (let i = 2; i <= 20; i++) {
      await change(`/cal/${i}`);
      await advance(10);
    }
    expect(transport.to(reg.id)).toHaveLength(1);
    await advance(1000);
    const times = transport.to(reg.id).map((s) => s.at - START);
    expect(times).toEqual([0, 1000]);
    await advance(5000);
    expect(transport.to(reg.id)).toHaveLength(2); // nothing more changed: nothing more sent
  });

  it('an interval of 0 still merges the changes of one event-loop turn', async () => {
    await dispatcher.close();
    setup({ coalesceMs: 0 });
    const reg = await register('/cal');
    await change('/cal/1');
    await change('/cal/2');
    await advance(0);
    expect(transport.to(reg.id)).toHaveLength(1);
    await change('/cal/3');
    await advance(0);
    expect(transport.to(reg.id)).toHaveLength(2);
  });
  it('an interval of 0 starts a change for 1 000 registrations in slices: the first messages are done before the last start', async () => {
    await dispatcher.close();
    const events: string[] = [];
    setup({
      coalesceMs: 0,
      transport: {
        send: (registration) => {
          events.push(`start ${registration.id}`);
          return new Promise<number>((resolve) => setImmediate(() => (events.push(`done ${registration.id}`), resolve(201))));
        },
      },
    });
    const regs: PushRegistration[] = [];
    for (let i = 0; i < 1000; i++) regs.push(await register('/cal', { contentUpdate: 1 }, `s${i}`));
    await change('/cal/a.ics');
    const done = (): number => events.filter((e) => e.startsWith('done')).length;
    for (let turn = 0; turn < 200 && done() < 1000; turn++) await advance(1);
    expect(done()).toBe(1000);
    expect(events.indexOf(`done ${regs[0]!.id}`)).toBeLessThan(events.indexOf(`start ${regs[999]!.id}`));
  });
});

describe('store work per change', () => {
  it('a change for 100 registrations reads them in one call per slice, shares one message and token read, and records the successes in batches', async () => {
    await dispatcher.close();
    let tokenReads = 0;
    setup({ coalesceMs: 0, tokenOf: async (c) => (tokenReads++, tokens.get(c)) });
    for (let i = 0; i < 100; i++) await register('/cal', { contentUpdate: 1 }, `s${i}`);
    const calls = { get: 0, getMany: 0, recordDelivery: 0, recordDeliveries: 0, recorded: 0 };
    const spy = store as unknown as Record<string, (...args: never[]) => unknown>;
    for (const name of ['get', 'getMany', 'recordDelivery', 'recordDeliveries'] as const) {
      const real = spy[name]!.bind(store);
      spy[name] = (...args: never[]) => {
        calls[name] += 1;
        if (name === 'recordDeliveries') calls.recorded += (args[0] as unknown as unknown[]).length;
        return real(...args);
      };
    }
    await change('/cal/a.ics');
    for (let turn = 0; turn < 20 && transport.sent.length < 100; turn++) await advance(1);
    expect(transport.sent).toHaveLength(100);
    // 32 a slice: 4 slices, each one read, one token read, one message object and one write.
    expect(calls).toEqual({ get: 0, getMany: 4, recordDelivery: 0, recordDeliveries: 4, recorded: 100 });
    expect(tokenReads).toBe(4);
    expect(new Set(transport.sent.map((s) => s.message)).size).toBe(4);
    for (const r of await store.all()) expect(r.lastDelivery).toMatchObject({ ok: true, status: 201 });
  });
});

describe('Push-Dont-Notify', () => {
  it('skips the listed registrations, or all with *', async () => {
    const a = await register('/cal', { contentUpdate: 1 }, 'a');
    const b = await register('/cal', { contentUpdate: 1 }, 'b');
    const paths = ['/cal/x'];
    await dispatcher.notify({ paths, collections: affectedCollections(paths) }, new Set([a.id]));
    await advance(0);
    expect([transport.to(a.id).length, transport.to(b.id).length]).toEqual([0, 1]);
    await advance(2000);
    await dispatcher.notify({ paths, collections: affectedCollections(paths) }, 'all');
    await advance(2000);
    expect(transport.sent).toHaveLength(1);
  });
});

describe('delivery outcomes', () => {
  it.each([404, 410])('a %s from the push service removes the registration', async (status) => {
    const reg = await register('/cal');
    transport.status = status;
    await change('/cal/a');
    await advance(0);
    expect(await store.get(reg.id)).toBeUndefined();
    await advance(2000);
    await change('/cal/b');
    await advance(2000);
    expect(transport.to(reg.id)).toHaveLength(1);
  });

  it('other failures are retried with a doubling back-off, recorded, and after maxFailures the registration goes', async () => {
    const reg = await register('/cal');
    transport.status = 503;
    await change('/cal/a');
    await advance(0);
    expect(await store.get(reg.id)).toMatchObject({ failures: 1, lastDelivery: { ok: false, status: 503, error: 'push service answered 503' } });
    await advance(99);
    expect(transport.to(reg.id)).toHaveLength(1);
    await advance(1); // 100 ms after the first failure
    expect(transport.to(reg.id)).toHaveLength(2);
    await advance(200); // then 200 ms
    expect(transport.to(reg.id).map((s) => s.at - START)).toEqual([0, 100, 300]);
    expect(await store.get(reg.id)).toBeUndefined(); // third failure in a row: removed
    await advance(10_000);
    expect(transport.to(reg.id)).toHaveLength(3);
  });

  it('a network error counts as a failure and a later success resets the count', async () => {
    const reg = await register('/cal');
    transport.status = new Error('connect ECONNREFUSED 127.0.0.1:9');
    await change('/cal/a');
    await advance(0);
    expect((await store.get(reg.id))?.lastDelivery).toMatchObject({ ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9' });
    transport.status = 201;
    await advance(100);
    expect(await store.get(reg.id)).toMatchObject({ failures: 0, lastDelivery: { ok: true, status: 201, at: START + 100 } });
  });

  it('an expired or removed registration is not sent to', async () => {
    const short = await register('/cal', { contentUpdate: 1 }, 'short', START + 500);
    const gone = await register('/cal', { contentUpdate: 1 }, 'gone');
    await advance(500);
    await change('/cal/a');
    await store.remove(gone.id);
    await advance(0);
    expect(transport.sent).toEqual([]);
    expect(await store.get(short.id)).toBeUndefined();
  });

  it('a registration whose user may no longer sync is removed instead of told', async () => {
    await dispatcher.close();
    const allowed = new Set(['alice']);
    setup({ mayNotify: (r) => allowed.has(r.user ?? '') });
    const reg = await register('/cal');
    allowed.delete('alice');
    await change('/cal/a');
    await advance(0);
    expect(transport.sent).toEqual([]);
    expect(await store.get(reg.id)).toBeUndefined();
  });

  it('revoke ends a user\'s registrations on a collection and below', async () => {
    const cal = await register('/cal', { contentUpdate: 1 }, 'a');
    const sub = await register('/cal/sub', { contentUpdate: 1 }, 'b');
    const books = await register('/books', { contentUpdate: 1 }, 'c');
    expect(await dispatcher.revoke(['alice'], ['/cal'])).toBe(2);
    expect([await store.get(cal.id), await store.get(sub.id), (await store.get(books.id))?.id]).toEqual([undefined, undefined, books.id]);
  });
});

describe('attached to a sync log', () => {
  it('recorded changes reach the registration with the log\'s new token; a suppressed one does not', async () => {
    jest.useRealTimers();
    await dispatcher.close();
    const log = new SyncLog();
    setup({ coalesceMs: 0, tokenOf: (c) => log.currentToken(c) });
    const stop = dispatcher.attach(log);
    try {
      await log.record([{ path: '/cal', collection: true }]);
      const reg = await register('/cal', { contentUpdate: 1 }, 'a', Date.now() + 60_000);
      await log.record([{ path: '/cal/a.ics', etag: 'e1' }]);
      await dispatcher.idle();
      expect(transport.to(reg.id).map((s) => s.message.syncToken)).toEqual([await log.currentToken('/cal')]);
      await withoutPushTo(new Set([reg.id]), () => log.record([{ path: '/cal/b.ics', etag: 'e2' }]));
      await dispatcher.idle();
      expect(transport.to(reg.id)).toHaveLength(1);
      await withoutPushTo('all', () => log.record([{ path: '/cal/c.ics', etag: 'e3' }]));
      await dispatcher.idle();
      expect(transport.to(reg.id)).toHaveLength(1);
      await log.record([{ path: '/cal/a.ics', removed: true }]);
      await dispatcher.idle();
      expect(transport.to(reg.id)).toHaveLength(2);
      expect(transport.to(reg.id)[1]!.message.syncToken).toBe(await log.currentToken('/cal'));
      expect(transport.to(reg.id)[1]!.message.syncToken).not.toBe(transport.to(reg.id)[0]!.message.syncToken);
    } finally {
      stop();
    }
  });
});
