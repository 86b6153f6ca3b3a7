/**
 * Hashing files the store did not write (issue 17): another program's
 * files, files changed while davsync was down, copies made across mounts.
 * A listing that is asked for checksums and finds none that apply to a file
 * queues the file here, and the watcher queues what it sees change; files
 * are hashed one at a time in the background, never while a request waits
 * (a listing answers without them meanwhile). The queue is bounded: what
 * does not fit is queued again by the next listing that finds it missing.
 */

/** Hashes one file and stores the result if it still applies; see `FsAdapter`. */
export type HashFile = (path: string) => Promise<void>;

/** Files waiting at most; a folder of more is finished over several listings. */
const MAX_QUEUED = 10_000;

export class ChecksumBackfill {
  readonly #queue = new Set<string>();
  readonly #hash: HashFile;
  readonly #onError: (path: string, err: unknown) => void;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(hash: HashFile, onError: (path: string, err: unknown) => void) {
    this.#hash = hash;
    this.#onError = onError;
  }

  /** Queues a file to hash; returns at once. */
  add(path: string): void {
    if (this.#closed || this.#queue.has(path) || this.#queue.size >= MAX_QUEUED) return;
    this.#queue.add(path);
    this.#running ??= this.#drain();
  }

  /** Resolves once the queue is empty (for tests and tools; requests never wait for it). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stops after the file being hashed; queued ones are dropped (a later listing queues them again). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.clear();
    await this.idle();
  }

  async #drain(): Promise<void> {
    // Let the request that queued the work finish first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      for (const path of this.#queue) {
        this.#queue.delete(path);
        if (this.#closed) break;
        try {
          await this.#hash(path);
        } catch (err) {
          this.#onError(path, err);
        }
      }
    } finally {
      this.#running = undefined;
    }
    // Added during the last hash, after the loop looked.
    if (this.#queue.size > 0 && !this.#closed) this.#running = this.#drain();
  }
}
