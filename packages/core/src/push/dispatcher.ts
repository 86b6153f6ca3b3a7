/**
 * The push dispatcher: turns change events into push messages. For each
 * change it finds the registrations whose collection and depth cover a
 * changed path, and delivers to each through the transport — asynchronously
 * (a PUT never waits for a push service), at most one message per
 * registration per `coalesceMs` (a burst becomes one message carrying the
 * newest token, read when it is sent), skipping what Push-Dont-Notify asked
 * to skip.
 *
 * Delivery outcomes (the draft §5.4): 2xx is recorded as the last delivery;
 * 404 or 410 from the push service removes the registration (the client
 * unsubscribed there); anything else is a failure, retried after an
 * exponential back-off and, after `maxFailures` in a row, removed. Expired
 * registrations are never sent to (the store no longer returns them), and
 * nor is one whose user may no longer sync its collection (`mayNotify`):
 * it is removed instead.
 */
import type { SyncLogChange, SyncLogListener } from '../change-events';
import { DeliveryRecords } from './delivery-records';
import { firedTriggers, type PushRegistration } from './registration';
import type { PushRegistrationStore } from './registration-store';
import { currentPushSuppression, type PushSuppression } from './suppression';
import type { PushMessage, PushTransport } from './transport';

export interface PushBackoff {
  /** Wait after the first failure, in ms; doubled after each further one. Default 1 000. */
  readonly baseMs?: number;
  /** Longest wait between attempts, in ms. Default 300 000 (5 minutes). */
  readonly maxMs?: number;
  /** Failures in a row after which the registration is removed. Default 8. */
  readonly maxFailures?: number;
}

export interface PushDispatcherOptions {
  readonly store: PushRegistrationStore;
  readonly transport: PushTransport;
  /** The push topic of a collection (`pushTopic`). */
  readonly topicOf: (collection: string) => string;
  /** The collection's current sync token (`engine.currentToken`). */
  readonly tokenOf: (collection: string) => Promise<string | undefined>;
  /** Whether the registration's user may still be told about its collection (may sync it). Default: yes. */
  readonly mayNotify?: (registration: PushRegistration) => boolean | Promise<boolean>;
  /** At most one message per registration in this many ms (0: no coalescing beyond one event-loop turn). Default 1 000. */
  readonly coalesceMs?: number;
  readonly backoff?: PushBackoff;
  /** The clock (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
  /** Gets what fails outside a delivery (a store error). Default: console.error. */
  readonly onError?: (err: unknown) => void;
}

/** Deliveries started per event-loop turn from the ready queue (see `startReady`). */
const READY_SLICE = 32;

/** The source of change events: a `SyncLog` or `SyncEngine['log']`. */
export interface ChangeSource {
  onChange(listener: SyncLogListener): () => void;
}

/** The triggers a message reports. */
interface Fired {
  readonly content: boolean;
  readonly property: boolean;
}

/**
 * What the messages started in one ready slice share: each collection's
 * token read once, and one message object per (collection, triggers) — a
 * change to a collection with 1 000 registrations is one message said
 * 1 000 times (the transport builds its body once per message object).
 */
interface SliceShared {
  readonly messages: Map<string, Promise<PushMessage>>;
}

interface Pending {
  content: boolean;
  property: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Waiting in the ready queue (no delay owed): starts at the next check phase. */
  queued: boolean;
  inFlight: boolean;
  /** No message before this time (coalescing interval or back-off). */
  notBefore: number;
}

export class PushDispatcher {
  private readonly store: PushRegistrationStore;
  private readonly transport: PushTransport;
  private readonly now: () => number;
  private readonly coalesceMs: number;
  private readonly backoff: Required<PushBackoff>;
  private readonly onError: (err: unknown) => void;
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();
  /** Registrations owed a message now, started a slice at a time (`startReady`). */
  private ready: string[] = [];
  private readyScheduled = false;
  private closed = false;
  private readonly records: DeliveryRecords;

  constructor(private readonly options: PushDispatcherOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.now = options.now ?? Date.now;
    this.coalesceMs = options.coalesceMs ?? 1000;
    this.backoff = { baseMs: 1000, maxMs: 300_000, maxFailures: 8, ...options.backoff };
    this.onError = options.onError ?? ((err: unknown) => console.error('davsync: push dispatch failed', err));
    for (const [name, v] of [['coalesceMs', this.coalesceMs], ['backoff.baseMs', this.backoff.baseMs], ['backoff.maxMs', this.backoff.maxMs]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`davsync: push ${name} must be a non-negative integer`);
    }
    if (!Number.isInteger(this.backoff.maxFailures) || this.backoff.maxFailures < 1) throw new TypeError('davsync: push backoff.maxFailures must be a positive integer');
    this.records = new DeliveryRecords(this.store, this.onError);
  }

  /** Listens to `source`'s change events; returns the function that stops listening. */
  attach(source: ChangeSource): () => void {
    return source.onChange((change) => {
      // Read now: the request's Push-Dont-Notify is in scope only during the event.
      this.track(this.notify(change, currentPushSuppression()));
    });
  }

  /** Schedules the messages `change` calls for (what `attach` does per event); resolves once they are scheduled. */
  async notify(change: Pick<SyncLogChange, 'paths' | 'collections' | 'kind'>, suppression?: PushSuppression): Promise<void> {
    if (this.closed || suppression === 'all') return;
    let registrations: PushRegistration[];
    try {
      registrations = await this.store.atCollections(change.collections);
    } catch (err) {
      this.onError(err);
      return;
    }
    for (const registration of registrations) {
      if (suppression?.has(registration.id) === true) continue;
      const fired = firedTriggers(registration, change.paths, change.kind);
      if (fired.content || fired.property) this.schedule(registration.id, fired.content, fired.property);
    }
  }

  /**
   * Ends `users`' registrations on `paths` and below (their access was
   * revoked: `SyncLog.revokeAccess` takes the same arguments). `mayNotify`
   * would find out at the next delivery; this does not wait for one.
   */
  async revoke(users: readonly string[], paths: readonly string[]): Promise<number> {
    let removed = 0;
    for (const user of users) for (const path of paths) removed += await this.store.removeForUser(user, path);
    return removed;
  }

  /** Resolves when no message is waiting or being sent (for tests and graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || [...this.pending.values()].some((p) => p.timer !== undefined || p.queued || p.inFlight)) {
      await Promise.race([...this.running, new Promise((resolve) => setTimeout(resolve, 5))]);
    }
  }

  /** Stops: pending messages are dropped, deliveries under way are awaited. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) if (p.timer !== undefined) clearTimeout(p.timer);
    this.pending.clear();
    this.ready = [];
    await Promise.allSettled([...this.running]);
    await this.records.flush();
  }

  private schedule(id: string, content: boolean, property: boolean): void {
    let p = this.pending.get(id);
    if (p === undefined) this.pending.set(id, (p = { content, property, timer: undefined, queued: false, inFlight: false, notBefore: 0 }));
    p.content ||= content;
    p.property ||= property;
    // A message already waiting (or being sent, which reschedules) carries this change too.
    if (p.timer !== undefined || p.queued || p.inFlight || this.closed) return;
    const delay = Math.max(0, p.notBefore - this.now());
    if (delay === 0) {
      // No timer per registration (setTimeout(0) is a 1 ms clamp and one timer each): one ready queue.
      p.queued = true;
      this.ready.push(id);
      this.startReady();
      return;
    }
    p.timer = setTimeout(() => {
      (p as Pending).timer = undefined;
      this.track(this.deliver(id, p as Pending));
    }, delay);
    p.timer.unref?.();
  }

  /**
   * Starts the ready queue's deliveries at the next check phase (after the
   * rest of this event-loop turn, so a commit's changes merge), at most
   * {@link READY_SLICE} per turn: each slice's messages are encrypted and
   * written out before the next slice starts, so with 1 000 registrations
   * the first messages leave while the last are still waiting, instead of
   * all 1 000 being encrypted before any socket is written.
   */
  private startReady(): void {
    if (this.readyScheduled || this.ready.length === 0) return;
    this.readyScheduled = true;
    setImmediate(() => {
      this.readyScheduled = false;
      const slice: Array<[string, Pending, Fired]> = [];
      for (const id of this.ready.splice(0, READY_SLICE)) {
        const p = this.pending.get(id);
        if (p === undefined || !p.queued) continue;
        p.queued = false;
        slice.push([id, p, this.begin(p)]);
      }
      if (slice.length > 0) this.track(this.deliverSlice(slice));
      this.startReady();
    });
  }

  /** Takes what `p` owes for one message and marks it in flight (later changes wait for it, then go as another). */
  private begin(p: Pending): Fired {
    const fired = { content: p.content, property: p.property };
    p.content = p.property = false;
    p.inFlight = true;
    return fired;
  }

  /** A delayed message (coalescing, back-off): its registration read again now. */
  private async deliver(id: string, p: Pending): Promise<void> {
    const fired = this.begin(p);
    let registration: PushRegistration | undefined;
    try {
      registration = await this.store.get(id);
    } catch (err) {
      this.onError(err);
      return this.finish(id, p, true);
    }
    await this.run(id, p, fired, registration, undefined);
    await this.records.flush();
  }

  /**
   * A ready slice's messages: their registrations re-read in one store call
   * (`getMany`: removed or expired since the change are not sent to), the
   * tokens and message objects shared, then each sent on its own.
   */
  private async deliverSlice(slice: ReadonlyArray<readonly [string, Pending, Fired]>): Promise<void> {
    let found: Map<string, PushRegistration>;
    try {
      found = await this.readMany(slice.map(([id]) => id));
    } catch (err) {
      this.onError(err);
      for (const [id, p] of slice) this.finish(id, p, true);
      return;
    }
    const shared: SliceShared = { messages: new Map() };
    await Promise.all(slice.map(([id, p, fired]) => this.run(id, p, fired, found.get(id), shared)));
    await this.records.flush(); // the slice's successes, one write
  }

  private async readMany(ids: readonly string[]): Promise<Map<string, PushRegistration>> {
    const found = new Map<string, PushRegistration>();
    if (this.store.getMany !== undefined) {
      for (const r of await this.store.getMany(ids)) found.set(r.id, r);
    } else {
      for (const id of ids) {
        const r = await this.store.get(id);
        if (r !== undefined) found.set(id, r);
      }
    }
    return found;
  }

  private async run(id: string, p: Pending, fired: Fired, registration: PushRegistration | undefined, shared: SliceShared | undefined): Promise<void> {
    let keep = true;
    try {
      if (registration === undefined) {
        keep = false; // removed or expired since: nothing to send
        return;
      }
      if (this.options.mayNotify !== undefined && !(await this.options.mayNotify(registration))) {
        await this.store.remove(id);
        keep = false;
        return;
      }
      keep = await this.send(registration, await this.messageOf(registration.collection, fired, shared), p);
    } catch (err) {
      this.onError(err);
    } finally {
      this.finish(id, p, keep);
    }
  }

  /** The message for `collection` with the token read now: one per slice and (collection, triggers) when `shared`. */
  private messageOf(collection: string, fired: Fired, shared: SliceShared | undefined): Promise<PushMessage> {
    const make = async (): Promise<PushMessage> => ({
      topic: this.options.topicOf(collection),
      contentUpdate: fired.content,
      propertyUpdate: fired.property,
      syncToken: await this.options.tokenOf(collection),
    });
    if (shared === undefined) return make();
    const key = `${fired.content ? 'c' : ''}${fired.property ? 'p' : ''}\n${collection}`;
    let message = shared.messages.get(key);
    if (message === undefined) shared.messages.set(key, (message = make()));
    return message;
  }

  /** After a message (sent or not): the next one owed, or the interval kept, or the entry dropped. */
  private finish(id: string, p: Pending, keep: boolean): void {
    p.inFlight = false;
    if (!keep) this.pending.delete(id);
    else if (p.content || p.property) this.schedule(id, false, false);
    else if (p.notBefore <= this.now()) this.pending.delete(id);
    else this.forgetLater(id, p);
  }

  /** Sends one message and records the outcome; returns whether the registration stays. */
  private async send(registration: PushRegistration, message: PushMessage, p: Pending): Promise<boolean> {
    let status: number | undefined;
    let error: string | undefined;
    try {
      status = await this.transport.send(registration, message);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const at = this.now();
    if (status !== undefined && status >= 200 && status < 300) {
      this.records.success(registration.id, { at, ok: true, status });
      p.notBefore = at + this.coalesceMs;
      return true;
    }
    if (status === 404 || status === 410) {
      await this.store.remove(registration.id);
      return false;
    }
    await this.records.flush(); // the successes before this failure land first
    const updated = await this.store.recordDelivery(registration.id, { at, ok: false, ...(status === undefined ? {} : { status }), error: error ?? `push service answered ${status}` });
    if (updated === undefined) return false;
    if (updated.failures >= this.backoff.maxFailures) {
      await this.store.remove(registration.id);
      return false;
    }
    // Retry what failed after the back-off, merged with whatever comes meanwhile.
    p.content ||= message.contentUpdate;
    p.property ||= message.propertyUpdate;
    p.notBefore = at + Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (updated.failures - 1));
    return true;
  }

  /** Keeps a registration's interval only until it ends, so the map follows recent activity, not every registration ever. */
  private forgetLater(id: string, p: Pending): void {
    const timer = setTimeout(() => {
      if (this.pending.get(id) === p && p.timer === undefined && !p.queued && !p.inFlight && !p.content && !p.property) this.pending.delete(id);
    }, Math.max(0, p.notBefore - this.now()));
    timer.unref?.();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.onError(err)).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}
