/**
 * One body's hashes as its chunks pass (`hashWhileReading`): the chunks are
 * copied into batches of {@link BATCH_BYTES}; a body that ends within the
 * first batch is hashed here (for a small file cheaper than a round trip to
 * another thread), a longer one goes to the hashing threads batch by batch
 * (`hashing-thread.ts`), its digests split between them by
 * {@link splitDigests}; a share without a thread is hashed here.
 *
 * Batches come from a pool of shared memory: each is copied into once,
 * read in place by every thread it is posted to, and reused once all have
 * read it — a steady stream of uploads allocates no new memory per batch.
 */
import { BLOCKS_ALGORITHM } from './block-hashes';
import { HashSet } from './hash-set';
import { BATCH_BYTES, giveBackBatch, HashingThread, takeBatch, type HashingWarning, type HashSession } from './hashing-thread';

/**
 * CPU per MiB of each digest relative to the others (node:crypto on an
 * x86 with SHA instructions: MD5 1.5 ms, SHA-1 and SHA-256 0.6 ms each);
 * block hashes share SHA-256's pass for a body's first 4 MiB.
 */
const COST: Readonly<Record<string, number>> = { md5: 1.5, sha1: 0.6, sha256: 0.6, [BLOCKS_ALGORITHM]: 0.6 };

/**
 * `names` cut into at most `lanes` groups of about equal cost (largest
 * first, each to the lightest group), block hashes with SHA-256 so they
 * share its pass; empty groups are left out. Default digests, two lanes:
 * `[md5]` and `[sha1, sha256, blocks]`.
 */
export function splitDigests(names: readonly string[], lanes: number): string[][] {
  const units: string[][] = [];
  for (const name of names) {
    if (name === BLOCKS_ALGORITHM && names.includes('sha256')) continue;
    units.push(name === 'sha256' && names.includes(BLOCKS_ALGORITHM) ? ['sha256', BLOCKS_ALGORITHM] : [name]);
  }
  const cost = (unit: readonly string[]) => COST[unit[0] as string] ?? 1;
  units.sort((a, b) => cost(b) - cost(a));
  const groups = Array.from({ length: Math.max(1, lanes) }, () => ({ names: [] as string[], load: 0 }));
  for (const unit of units) {
    const lightest = groups.reduce((a, b) => (b.load < a.load ? b : a));
    lightest.names.push(...unit);
    lightest.load += cost(unit);
  }
  return groups.map((g) => g.names).filter((g) => g.length > 0);
}

/** One share of the digests: on a hashing thread, or here. */
interface Share {
  readonly session?: HashSession;
  readonly here?: HashSet;
}

export class BodyHasher {
  readonly #names: readonly string[];
  readonly #warn: HashingWarning;
  /** The batch being filled, and how much of it is. */
  #batch: Buffer | undefined;
  #filled = 0;
  /** Decided once the first batch is full; until then the bytes wait in it. */
  #shares: Share[] | undefined;
  /** Set when every share is hashed here: then chunks are hashed as they come, not batched. */
  #allHere: HashSet | undefined;

  constructor(names: readonly string[], warn: HashingWarning) {
    this.#names = names;
    this.#warn = warn;
  }

  /**
   * Hashes `bytes` (copied: the caller may reuse them). Returns a promise
   * only when they overflow the current batch (one is handed over, and a
   * thread may be behind), so the caller awaits nothing for most chunks.
   */
  add(bytes: Uint8Array): Promise<void> | undefined {
    if (this.#allHere !== undefined) {
      this.#allHere.update(bytes);
      return undefined;
    }
    if (bytes.byteLength > BATCH_BYTES - this.#filled) return this.#addAcross(bytes);
    this.#copy(bytes);
    return undefined;
  }

  /** The digests of every byte added, by name; call once the body has ended. */
  async end(): Promise<Record<string, string>> {
    if (this.#shares === undefined) {
      const hashes = new HashSet(this.#names);
      if (this.#batch !== undefined) hashes.update(this.#batch.subarray(0, this.#filled));
      this.#dropBatch();
      return hashes.digests();
    }
    // The last batch (full or not) goes with the end: one message per thread, not two.
    const batch = this.#batch;
    const length = this.#filled;
    this.#batch = undefined;
    this.#filled = 0;
    const last = batch === undefined || length === 0 ? undefined : batch.subarray(0, length);
    if (batch !== undefined && last === undefined) giveBackBatch(batch);
    const release = last === undefined ? undefined : this.#releaser(batch as Buffer, this.#shares);
    const parts = await Promise.all(
      this.#shares.map((s) => {
        if (s.session !== undefined) return s.session.end(last === undefined ? undefined : { batch: batch as Buffer, length, release: release as () => void });
        if (last !== undefined) s.here?.update(last);
        return (s.here as HashSet).digests();
      }),
    );
    return Object.assign({}, ...parts) as Record<string, string>;
  }

  /** Drops the hashes (the body failed or was abandoned). */
  abort(): void {
    for (const share of this.#shares ?? []) share.session?.abort();
    this.#shares = [];
    this.#allHere = undefined;
    this.#dropBatch();
  }

  /** Where each share is hashed: the thread of its lane, or here where that lane has none. */
  #open(): Share[] {
    const threads = HashingThread.lanes(this.#warn);
    const groups = splitDigests(this.#names, threads.length);
    if (groups.every((_, lane) => threads[lane] === undefined)) {
      // No thread at all: one set here, which also shares SHA-256 with the block hashes.
      this.#allHere = new HashSet(this.#names);
      return [{ here: this.#allHere }];
    }
    return groups.map((group, lane) => {
      const thread = threads[lane];
      return thread === undefined ? { here: new HashSet(group) } : { session: thread.open(group, this.#warn) };
    });
  }

  /** Copies bytes that fit in the current batch into it. */
  #copy(bytes: Uint8Array): void {
    const batch = (this.#batch ??= takeBatch());
    batch.set(bytes, this.#filled);
    this.#filled += bytes.byteLength;
  }

  /**
   * Adds bytes that overflow the current batch: a full batch is handed
   * over only when more bytes come, so a body's last batch can go with its
   * end (see `end`).
   */
  async #addAcross(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.byteLength; ) {
      if (this.#allHere !== undefined) {
        this.#allHere.update(bytes.subarray(at));
        return;
      }
      if (this.#filled === BATCH_BYTES) {
        await this.#handOver();
        // The first hand-over may have found no thread: then the rest is hashed here, unbatched.
        continue;
      }
      const n = Math.min(BATCH_BYTES - this.#filled, bytes.byteLength - at);
      this.#copy(at === 0 && n === bytes.byteLength ? bytes : bytes.subarray(at, at + n));
      at += n;
    }
  }

  /** Hands the filled batch to every share (opening them at the first). */
  async #handOver(): Promise<void> {
    const batch = this.#batch as Buffer;
    const length = this.#filled;
    this.#batch = undefined;
    this.#filled = 0;
    const shares = (this.#shares ??= this.#open());
    const release = this.#releaser(batch, shares);
    const waits: Array<Promise<void>> = [];
    for (const share of shares) {
      if (share.session !== undefined) waits.push(share.session.update(batch, length, release));
      else share.here?.update(batch.subarray(0, length));
    }
    if (waits.length === 0) giveBackBatch(batch);
    else await Promise.all(waits);
  }

  /** What gives `batch` back once every thread of `shares` has read it. */
  #releaser(batch: Buffer, shares: readonly Share[]): () => void {
    let holds = shares.filter((s) => s.session !== undefined).length;
    return () => {
      if (--holds === 0) giveBackBatch(batch);
    };
  }

  #dropBatch(): void {
    if (this.#batch !== undefined) giveBackBatch(this.#batch);
    this.#batch = undefined;
    this.#filled = 0;
  }
}
