/**
 * Hashing large bodies on threads of their own. SHA-1 + MD5 + SHA-256 cost
 * about 2.8 ms of CPU per MiB (MD5 alone half of it, having no CPU
 * instructions of its own); on the thread that serves requests that was a
 * third of a 1 MiB PUT's throughput. Here the main thread only copies each
 * batch once into shared memory and posts it; the hashes run meanwhile on
 * other cores.
 *
 * {@link HASHING_LANES} threads per process (two where there are two
 * cores), each started on first use: a body arrives faster than one core
 * can hash it all (1 MiB in ~1 ms over loopback, against 2.8 ms of
 * digests), so a write's digests are split between them (`body-hasher.ts`:
 * MD5 on one, SHA-1 and SHA-256 on the other) and the wait after the body's
 * last byte is that of the slower half, not of the sum. A thread keeps the
 * process alive only while a session waits for it. Each write is a session
 * per thread; a session has at most {@link MAX_IN_FLIGHT} batches queued,
 * and `update` waits beyond that, so a body faster than the hashing is
 * slowed down rather than piling up memory.
 *
 * If a thread dies (or cannot start), the writes it was hashing fail with
 * `unavailable` (503): their hashes' state died with it and the bytes
 * handed over are gone, so nothing is stored and the client may retry. The
 * death is reported to those writes' `onWarning` (or to the next write's,
 * when none was running). For {@link RESTART_AFTER_MS} after a death, writes
 * hash on their own thread instead (slower, but no write is refused), then
 * new threads are started.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DavError } from './errors';

// From src/ (tests) and dist/ alike: the compiled worker in dist/.
const WORKER_FILE = join(__dirname, '..', 'dist', 'checksum-worker.js');

/** Bytes per batch handed to the thread. */
export const BATCH_BYTES = 256 * 1024;

/** Batches a session may have queued before `update` waits for the thread. */
const MAX_IN_FLIGHT = 8;

/**
 * The thread says which batches it has read only on every
 * {@link ACK_EVERY}th batch of a session (and with the digests, which
 * release the rest): an acknowledgement per batch was a message and a
 * wake-up of the request thread per 256 KiB, for batches that, in a body
 * of 1 MiB, were all back with the digests a moment later anyway.
 */
const ACK_EVERY = MAX_IN_FLIGHT / 2;

/** Hashing threads per process: two (the digests split in two halves), one on a single core. */
export const HASHING_LANES = Math.min(2, availableParallelism());

/**
 * Batches kept for reuse once every thread that read one acknowledged it,
 * so a steady upload allocates (and page-faults) no new memory per batch.
 * Batches are shared memory: posting one to a thread (or two) copies
 * nothing and detaches nothing.
 */
const MAX_FREE = 32;
const free: SharedArrayBuffer[] = [];

/** An empty batch of {@link BATCH_BYTES} in shared memory, reused when one came back. */
export function takeBatch(): Buffer {
  return Buffer.from(free.pop() ?? new SharedArrayBuffer(BATCH_BYTES));
}

/** Keeps a batch (from {@link takeBatch}) for reuse; no thread may still be reading it. */
export function giveBackBatch(batch: Buffer): void {
  const memory = batch.buffer;
  if (memory instanceof SharedArrayBuffer && memory.byteLength === BATCH_BYTES && free.length < MAX_FREE && !free.includes(memory)) free.push(memory);
}

/** How long after a death writes hash on their own thread before a new one is tried. */
export const RESTART_AFTER_MS = 10_000;

/** Where a hashing thread's failure is told. */
export type HashingWarning = (message: string) => void;

/** Makes the thread's Worker (tests inject one that fails). */
export type HashingWorkerFactory = (file: string) => Worker;

interface Reply {
  readonly id: number;
  /** How many of the session's batches the thread has read (all of them, with `digests`). */
  readonly read?: number;
  readonly digests?: Record<string, string>;
}

interface Waiting {
  readonly warn: HashingWarning;
  /** Batches handed over and not yet known to be read. */
  inFlight: number;
  /** Batches known to be read. */
  read: number;
  /** Called as each batch is known to be read, in order (the thread reads a session's batches in order). */
  readonly released: Array<() => void>;
  /** Resolves `update`'s wait once a batch is acknowledged. */
  wake: (() => void) | undefined;
  done: { resolve: (d: Record<string, string>) => void; reject: (e: unknown) => void } | undefined;
  failed: unknown;
}

/** One write's hashes on the thread. */
export interface HashSession {
  /**
   * Hands over the first `length` bytes of `batch` (from {@link takeBatch},
   * shared with the thread); `release` is called once the thread has read
   * them (never, if it dies). The caller must not change them until then.
   */
  update(batch: Buffer, length: number, release: () => void): Promise<void>;
  /**
   * The digests of everything handed over, by Node algorithm name; `last`,
   * the body's last batch (as for `update`), goes in the same message.
   */
  end(last?: { readonly batch: Buffer; readonly length: number; readonly release: () => void }): Promise<Record<string, string>>;
  /** Drops the session (the body failed or was abandoned). */
  abort(): void;
}

export class HashingThread {
  static readonly #shared: Array<HashingThread | undefined> = [];
  static #factory: HashingWorkerFactory = (file) => new Worker(file);
  /** When the last thread died, and its death if no write was told of it. */
  static #diedAt = -Infinity;
  static #untold: string | undefined;

  /**
   * The process's hashing threads ({@link HASHING_LANES} of them), started
   * if need be; `undefined` for each where there is no compiled worker to
   * start (the sources run without a build) or a thread died less than
   * {@link RESTART_AFTER_MS} ago: the caller then hashes that lane's share
   * on its own thread. `warn` hears of a death no write was told of.
   */
  static lanes(warn: HashingWarning = console.warn): Array<HashingThread | undefined> {
    const untold = HashingThread.#untold;
    HashingThread.#untold = undefined;
    if (untold !== undefined) warn(untold);
    const lanes: Array<HashingThread | undefined> = [];
    for (let lane = 0; lane < HASHING_LANES; lane++) lanes.push(HashingThread.#lane(lane, warn));
    return lanes;
  }

  static #lane(lane: number, warn: HashingWarning): HashingThread | undefined {
    const current = HashingThread.#shared[lane];
    if (current !== undefined && !current.#dead) return current;
    HashingThread.#shared[lane] = undefined;
    if (!(HashingThread.#available ??= existsSync(WORKER_FILE))) return undefined;
    if (Date.now() - HashingThread.#diedAt < RESTART_AFTER_MS) return undefined;
    try {
      return (HashingThread.#shared[lane] = new HashingThread(HashingThread.#factory(WORKER_FILE)));
    } catch (err) {
      HashingThread.#died(`davsync: the hashing thread cannot start (${String(err)}); hashing uploads on the request thread for ${RESTART_AFTER_MS / 1000} s`, warn);
      return undefined;
    }
  }

  /**
   * Replaces how the thread is started (`undefined`: the default) and drops
   * the current one, for tests that make it fail; the back-off is reset.
   */
  static useWorkerFactory(factory: HashingWorkerFactory | undefined): void {
    HashingThread.#factory = factory ?? ((file) => new Worker(file));
    for (const old of HashingThread.#shared.splice(0)) {
      if (old === undefined || old.#dead) continue;
      // Not a death to report: told as one to its sessions only.
      old.#dead = true;
      for (const s of old.#sessions.values()) old.#fail(s, new DavError('unavailable', 'the hashing thread was replaced'));
      void old.#worker.terminate();
    }
    HashingThread.#diedAt = -Infinity;
    HashingThread.#untold = undefined;
  }

  static #died(message: string, warn: HashingWarning | undefined): void {
    HashingThread.#diedAt = Date.now();
    if (warn === undefined) HashingThread.#untold = message;
    else warn(message);
  }

  static #available: boolean | undefined;

  readonly #worker: Worker;
  readonly #sessions = new Map<number, Waiting>();
  #next = 0;
  #dead = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#worker.on('message', (m: Reply) => this.#reply(m));
    const fail = (cause: string) => {
      if (this.#dead) return;
      this.#dead = true;
      const err = new DavError('unavailable', `the hashing thread stopped (${cause}) while this upload was hashed: nothing was stored; retry`);
      const told = new Set<HashingWarning>();
      for (const s of this.#sessions.values()) {
        this.#fail(s, err);
        told.add(s.warn);
      }
      this.#sessions.clear();
      const message = `davsync: the hashing thread stopped (${cause}); ${told.size === 0 ? 'no upload was' : 'the uploads it was hashing were refused with 503,'} hashing uploads on the request thread for ${RESTART_AFTER_MS / 1000} s`;
      if (told.size === 0) HashingThread.#died(message, undefined);
      else for (const warn of told) HashingThread.#died(message, warn);
    };
    this.#worker.on('error', (err) => fail(String(err)));
    this.#worker.on('exit', (code) => fail(`exit code ${code}`));
    // After the listeners: adding a 'message' listener refs the thread again.
    this.#worker.unref();
  }

  /** A write's session; `warn` hears if the thread dies during it. */
  open(algorithms: readonly string[], warn: HashingWarning = console.warn): HashSession {
    const id = this.#next++;
    const state: Waiting = { warn, inFlight: 0, read: 0, released: [], wake: undefined, done: undefined, failed: undefined };
    this.#sessions.set(id, state);
    if (this.#sessions.size === 1) this.#worker.ref();
    let first = true;
    let posted = 0;
    /** Posts a batch (shared memory: the thread reads these very bytes, nothing is copied), or only the end. */
    const post = (batch: Buffer | undefined, length: number, release: (() => void) | undefined, end: boolean) => {
      if (state.failed !== undefined) throw state.failed;
      const message: Record<string, unknown> = { id };
      if (first) message['algorithms'] = algorithms;
      first = false;
      if (batch !== undefined && release !== undefined) {
        state.inFlight++;
        state.released.push(release);
        message['data'] = batch.buffer;
        message['offset'] = batch.byteOffset;
        message['length'] = length;
        if (++posted % ACK_EVERY === 0 && !end) message['ack'] = true;
      }
      if (end) message['end'] = true;
      this.#worker.postMessage(message);
    };
    return {
      update: async (batch, length, release) => {
        post(batch, length, release, false);
        while (state.inFlight > MAX_IN_FLIGHT && state.failed === undefined) await new Promise<void>((resolve) => (state.wake = resolve));
        if (state.failed !== undefined) throw state.failed;
      },
      end: (last) =>
        new Promise((resolve, reject) => {
          state.done = { resolve, reject };
          try {
            post(last?.batch, last?.length ?? 0, last?.release, true);
          } catch (err) {
            reject(err);
          }
        }),
      abort: () => {
        if (!this.#sessions.delete(id) || this.#dead) return;
        this.#idle();
        this.#worker.postMessage({ id, abort: true });
      },
    };
  }

  #reply(m: Reply): void {
    const s = this.#sessions.get(m.id);
    if (s === undefined) return;
    if (m.read !== undefined) {
      for (; s.read < m.read; s.read++) {
        s.inFlight--;
        s.released.shift()?.();
      }
      const wake = s.wake;
      s.wake = undefined;
      wake?.();
    }
    if (m.digests !== undefined) {
      this.#sessions.delete(m.id);
      this.#idle();
      s.done?.resolve(m.digests);
    }
  }

  /** Lets the process exit once no session waits for the thread. */
  #idle(): void {
    if (this.#sessions.size === 0) this.#worker.unref();
  }

  #fail(s: Waiting, err: unknown): void {
    s.failed = err;
    s.wake?.();
    s.done?.reject(err);
  }
}

/** See {@link HashingThread.useWorkerFactory}; exported by `@davsync/core/testing`. */
export function useHashingWorkerFactory(factory: HashingWorkerFactory | undefined): void {
  HashingThread.useWorkerFactory(factory);
}
