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
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

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

interface Reply {
  readonly id: number;
  readonly ack?: boolean;
  /** The acknowledged batch's memory, back for reuse. */
  readonly data?: ArrayBuffer;
  readonly digests?: Record<string, string>;
}

interface Waiting {
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

  /**
   * The process's hashing thread, started if need be; `undefined` where
   * there is no compiled worker to start (the sources run without a build),
   * and the caller then hashes on its own thread.
   */
  static shared(): HashingThread | undefined {
    if (HashingThread.#shared === undefined || HashingThread.#shared.#dead) {
      if (!(HashingThread.#available ??= existsSync(WORKER_FILE))) return undefined;
      HashingThread.#shared = new HashingThread();
    }
    return HashingThread.#shared;
  }

  static #available: boolean | undefined;

  readonly #worker: Worker;
  readonly #sessions = new Map<number, Waiting>();
  readonly #free: ArrayBuffer[] = [];
  #next = 0;
  #dead = false;

  private constructor() {
    this.#worker = new Worker(WORKER_FILE);
    this.#worker.on('message', (m: Reply) => this.#reply(m));
    const fail = (err: unknown) => {
      this.#dead = true;
      for (const s of this.#sessions.values()) this.#fail(s, err);
      this.#sessions.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`davsync: the hashing thread exited (${code})`)));
    // After the listeners: adding a 'message' listener refs the thread again.
    this.#worker.unref();
  }

  /** An empty batch of {@link BATCH_BYTES}, reused when one came back. */
  batch(): Buffer {
    const memory = this.#free.pop();
    return memory === undefined ? Buffer.allocUnsafeSlow(BATCH_BYTES) : Buffer.from(memory);
  }

  open(algorithms: readonly string[]): HashSession {
    const id = this.#next++;
    const state: Waiting = { inFlight: 0, wake: undefined, done: undefined, failed: undefined };
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
