/**
 * Message keys made ahead of time, one per registration, so a change's
 * fan-out pays only for sealing (AES-GCM, µs) instead of an ECDH and four
 * HKDFs per subscription (~0.2 ms each: 200 ms of one core for 1 000
 * subscriptions). Keys are made when a registration is created and after
 * each message it is sent, a few at a time once no message has been sent
 * for {@link IDLE_MS} — so preparing never delays a fan-out under way —
 * and each prepared set is taken once (RFC 8291 wants a fresh ephemeral key
 * per message). A registration with none ready (a busy stretch, a restart,
 * keys changed by a re-registration) gets fresh keys on the spot.
 */
import { messageKeys, type MessageKeys } from './message-encryption';

/** The subscription keys a prepared set was made for (base64url, as stored). */
export interface SubscriptionKeys {
  readonly publicKey: string;
  readonly authSecret: string;
}

interface Prepared extends SubscriptionKeys {
  readonly keys: MessageKeys;
}

/** Quiet time (no message taken) before preparing starts, in ms. */
export const IDLE_MS = 20;
/** Keys made per event-loop turn while preparing (~0.2 ms each: a turn stays under 2 ms). */
const SLICE = 8;

export class PreparedMessageKeys {
  /** Ready sets by registration id, oldest first (dropped first past `max`). */
  private readonly ready = new Map<string, Prepared>();
  /** Registrations owed a set. */
  private readonly wanted = new Map<string, SubscriptionKeys>();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private sliceScheduled: ReturnType<typeof setImmediate> | undefined;
  /** When `prepare` was last called (performance.now()). */
  private lastAsked = 0;
  private closed = false;

  /**
   * `max`: sets kept at most (each ~2 KB of memory with its cipher's native context: ~0.2 KB of heap).
   * `busy`: whether messages are still being sent (a fan-out under way):
   * preparing waits for it to end, so on a loaded machine, where a fan-out
   * can pause longer than IDLE_MS between messages, key making never
   * competes with it.
   */
  constructor(
    private readonly max = 10_000,
    private readonly busy: () => boolean = () => false,
  ) {}

  /** Keys for one message to registration `id`: its prepared set when made for these keys, else fresh ones. Another set is prepared later. */
  take(id: string, subscription: SubscriptionKeys): MessageKeys {
    const prepared = this.ready.get(id);
    this.ready.delete(id);
    const keys =
      prepared !== undefined && prepared.publicKey === subscription.publicKey && prepared.authSecret === subscription.authSecret
        ? prepared.keys
        : fresh(subscription);
    this.prepare(id, subscription);
    return keys;
  }

  /** Asks for a set for registration `id` once the server is idle. */
  prepare(id: string, subscription: SubscriptionKeys): void {
    if (this.closed) return;
    this.wanted.set(id, subscription);
    // Every call pushes preparing back: it starts only after IDLE_MS without messages. Only the
    // time is noted here — a fan-out calls this per message, and a clearTimeout + setTimeout
    // each time was timer-list work on every message; the one timer re-arms itself instead.
    this.lastAsked = performance.now();
    if (this.sliceScheduled !== undefined) {
      clearImmediate(this.sliceScheduled);
      this.sliceScheduled = undefined;
    }
    if (this.idleTimer === undefined) this.waitForIdle(IDLE_MS);
  }

  private waitForIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const quietFor = performance.now() - this.lastAsked;
      if (quietFor < IDLE_MS) this.waitForIdle(IDLE_MS - quietFor);
      else if (this.busy()) this.waitForIdle(IDLE_MS);
      else this.prepareSlice();
    }, ms);
    this.idleTimer.unref?.();
  }

  /** How many sets are ready (for tests). */
  get size(): number {
    return this.ready.size;
  }

  /** Stops preparing and forgets every set. */
  close(): void {
    this.closed = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.sliceScheduled !== undefined) clearImmediate(this.sliceScheduled);
    this.ready.clear();
    this.wanted.clear();
  }

  private prepareSlice(): void {
    this.sliceScheduled = undefined;
    let made = 0;
    for (const [id, subscription] of this.wanted) {
      if (made === SLICE) break;
      this.wanted.delete(id);
      made += 1;
      let keys: MessageKeys;
      try {
        keys = fresh(subscription);
      } catch {
        continue; // not a P-256 key: sending will fail and say so
      }
      this.ready.delete(id);
      if (this.ready.size >= this.max) this.ready.delete(this.ready.keys().next().value as string);
      this.ready.set(id, { ...subscription, keys });
    }
    if (this.wanted.size > 0 && !this.closed && this.busy()) {
      this.waitForIdle(IDLE_MS); // a fan-out started meanwhile: it goes first
    } else if (this.wanted.size > 0 && !this.closed) {
      // Not unref'd: Node stops running a chain of unref'd immediates. The chain ends when `wanted` is empty.
      this.sliceScheduled = setImmediate(() => this.prepareSlice());
    }
  }
}

function fresh(s: SubscriptionKeys): MessageKeys {
  return messageKeys(Buffer.from(s.publicKey, 'base64url'), Buffer.from(s.authSecret, 'base64url'));
}
