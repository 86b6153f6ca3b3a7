/**
 * A fan-out's successful deliveries, recorded in batches: one store write
 * per ready slice of the dispatcher (`recordDeliveries`: one transaction,
 * one fsync, one round trip for up to 32 messages) instead of one per message, which for 1 000 subscriptions
 * was 1 000 SQLite transactions or PostgreSQL UPDATEs per change. A
 * success only sets `lastDelivery` and resets `failures`, which nothing
 * reads on the sending path, so it may land a moment later. A failure is
 * recorded at once (its count decides the back-off), after every success
 * queued before it (`flush`), so the store sees them in order.
 */
import type { PushDelivery } from './registration';
import type { PushDeliveryRecord, PushRegistrationStore } from './registration-store';

export class DeliveryRecords {
  /** Successes not yet written, by registration id (the newest wins). */
  private queued = new Map<string, PushDelivery>();
  /** The writes so far, in order: each waits for the one before. */
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: PushRegistrationStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues a success of registration `id`; written by the next `flush`. */
  success(id: string, delivery: PushDelivery): void {
    this.queued.set(id, delivery);
  }

  /** Writes what is queued, after the writes before it; resolves when written (errors go to `onError`). */
  flush(): Promise<void> {
    const batch: PushDeliveryRecord[] = [];
    for (const [id, delivery] of this.queued) batch.push({ id, delivery });
    this.queued = new Map();
    if (batch.length === 0) return this.written;
    this.written = this.written.then(() => this.write(batch)).catch((err: unknown) => this.onError(err));
    return this.written;
  }

  private async write(batch: readonly PushDeliveryRecord[]): Promise<void> {
    if (this.store.recordDeliveries !== undefined) return this.store.recordDeliveries(batch);
    for (const { id, delivery } of batch) await this.store.recordDelivery(id, delivery);
  }
}
