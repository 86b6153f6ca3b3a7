/**
 * Hashing large bodies on a thread of their own. SHA-1 + MD5 + SHA-256 cost
 * about 2.5 ms of CPU per MiB (MD5 alone half of it, having no CPU
 * instructions of its own); on the thread that serves requests that was a
 * third of a 1 MiB PUT's throughput. Here the main thread only copies each
 * batch once and transfers it; the hashes run meanwhile on another core.
 *
 * One thread per process, started on first use; it keeps the process
 * alive only while a session waits for it. Each write is a session; a session has at most
 * {@link MAX_IN_FLIGHT} batches queued, and `update` waits beyond that, so a
 * body faster than the hashing is slowed down rather than piling up memory.
 *
 * If the thread dies (or cannot start), the writes it was hashing fail with
 * `unavailable` (503): their hashes' state died with it and the bytes
 * handed over are gone, so nothing is stored and the client may retry. The
 * death is reported to those writes' `onWarning` (or to the next write's,
 * when none was running). For {@link RESTART_AFTER_MS} after a death, writes
 * hash on their own thread instead (slower, but no write is refused), then
 * a new thread is started.
 */
import { existsSync } from 'node:fs';
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
 * Batches kept for reuse: the thread sends each back with its
 * acknowledgement, so a steady upload allocates (and page-faults) no new
 * memory per batch.
 */
const MAX_FREE = 32;

/** How long after a death writes hash on their own thread before a new one is tried. */
export const RESTART_AFTER_MS = 10_000;

/** Where a hashing thread's failure is told. */
export type HashingWarning = (message: string) => void;

/** Makes the thread's Worker (tests inject one that fails). */
export type HashingWorkerFactory = (file: string) => Worker;

interface Reply {
  readonly id: number;
  readonly ack?: boolean;
  /** The acknowledged batch's memory, back for reuse. */
  readonly data?: ArrayBuffer;
  readonly digests?: Record<string, string>;
}

interface Waiting {
  readonly warn: HashingWarning;
  inFlight: number;
  /** Resolves `update`'s wait once a batch is acknowledged. */
  wake: (() => void) | undefined;
  done: { resolve: (d: Record<string, string>) => void; reject: (e: unknown) => void } | undefined;
  failed: unknown;
}

/** One write's hashes on the thread. */
export interface HashSession {
  /** Hands over `batch` (from {@link HashingThread.batch}; its memory is transferred: the caller must not touch it again), `length` bytes of it. */
  update(batch: Buffer, length: number): Promise<void>;
  /** The digests of everything handed over, by Node algorithm name. */
  end(): Promise<Record<string, string>>;
  /** Drops the session (the body failed or was abandoned). */
  abort(): void;
}

export class HashingThread {
  static #shared: HashingThread | undefined;
  static #factory: HashingWorkerFactory = (file) => new Worker(file);
  /** When the last thread died, and its death if no write was told of it. */
  static #diedAt = -Infinity;
  static #untold: string | undefined;

  /**
   * The process's hashing thread, started if need be; `undefined` where
   * there is no compiled worker to start (the sources run without a build)
   * or a thread died less than {@link RESTART_AFTER_MS} ago: the caller then
   * hashes on its own thread. `warn` hears of a death no write was told of.
   */
  static shared(warn: HashingWarning = console.warn): HashingThread | undefined {
    const untold = HashingThread.#untold;
    HashingThread.#untold = undefined;
    if (untold !== undefined) warn(untold);
    if (HashingThread.#shared === undefined || HashingThread.#shared.#dead) {
      HashingThread.#shared = undefined;
      if (!(HashingThread.#available ??= existsSync(WORKER_FILE))) return undefined;
      if (Date.now() - HashingThread.#diedAt < RESTART_AFTER_MS) return undefined;
      try {
        HashingThread.#shared = new HashingThread(HashingThread.#factory(WORKER_FILE));
      } catch (err) {
        HashingThread.#died(`davsync: the hashing thread cannot start (${String(err)}); hashing uploads on the request thread for ${RESTART_AFTER_MS / 1000} s`, warn);
        return undefined;
      }
    }
    return HashingThread.#shared;
  }

  /**
   * Replaces how the thread is started (`undefined`: the default) and drops
   * the current one, for tests that make it fail; the back-off is reset.
   */
  static useWorkerFactory(factory: HashingWorkerFactory | undefined): void {
    HashingThread.#factory = factory ?? ((file) => new Worker(file));
    const old = HashingThread.#shared;
    HashingThread.#shared = undefined;
    if (old !== undefined && !old.#dead) {
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
  readonly #free: ArrayBuffer[] = [];
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

  /** An empty batch of {@link BATCH_BYTES}, reused when one came back. */
  batch(): Buffer {
    const memory = this.#free.pop();
    return memory === undefined ? Buffer.allocUnsafeSlow(BATCH_BYTES) : Buffer.from(memory);
  }

  /** A write's session; `warn` hears if the thread dies during it. */
  open(algorithms: readonly string[], warn: HashingWarning = console.warn): HashSession {
    const id = this.#next++;
    const state: Waiting = { warn, inFlight: 0, wake: undefined, done: undefined, failed: undefined };
    this.#sessions.set(id, state);
    if (this.#sessions.size === 1) this.#worker.ref();
    let first = true;
    const post = (message: object, transfer: ArrayBuffer[] = []) => {
      if (state.failed !== undefined) throw state.failed;
      this.#worker.postMessage(first ? { ...message, id, algorithms } : { ...message, id }, transfer);
      first = false;
    };
    return {
      update: async (batch, length) => {
        // A Buffer from allocUnsafeSlow owns its ArrayBuffer, which can be transferred (no copy).
        const own = batch.byteOffset === 0 && batch.buffer.byteLength === batch.length;
        const data = own ? (batch.buffer as ArrayBuffer) : batch.buffer.slice(batch.byteOffset, batch.byteOffset + length);
        state.inFlight++;
        post({ data, length }, [data as ArrayBuffer]);
        while (state.inFlight > MAX_IN_FLIGHT && state.failed === undefined) await new Promise<void>((resolve) => (state.wake = resolve));
        if (state.failed !== undefined) throw state.failed;
      },
      end: () =>
        new Promise((resolve, reject) => {
          state.done = { resolve, reject };
          try {
            post({ end: true });
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
    if (m.data !== undefined && m.data.byteLength === BATCH_BYTES && this.#free.length < MAX_FREE) this.#free.push(m.data);
    if (m.ack === true) {
      s.inFlight--;
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
