/**
 * Large folders are read on a thread of their own. A listing's cost is
 * mostly one `lstat` per member (~3–5 µs of kernel time each on the main
 * thread; 10 000 members: ~45 ms of a PROPFIND Depth 1 that takes ~95 ms),
 * and the main thread also has to turn every member into XML. Here a worker
 * reads the directory and `lstat`s its entries in batches while the main
 * thread writes the answer, so the two halves overlap on two cores.
 *
 * Only folders larger than one batch come here (`readMemberBatches` lists
 * the first batch itself, so a small folder costs no thread hand-off). The
 * thread is an optimisation, never a dependency: when it has failed or is
 * closed, listings run on the main thread as before.
 */
import { join, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DavError } from '@davsync/core';
import type { DirectoryMember } from './directory';
import type { ListingBatch, ListingReply, ListingRequest } from './listing-worker';
import type { MemberFacts } from './member-facts';
import type { ListingRules } from '../paths/safe-path';

/**
 * The worker runs compiled JavaScript: `dist/listing/` of this package,
 * which `tsc -b` builds. The path goes up to the package from this file's
 * folder, so it is the same whether this file runs from `dist/listing/` or,
 * in the tests, from `src/listing/`.
 */
const WORKER_FILE = join(__dirname, '..', '..', 'dist', 'listing', 'listing-worker.js');

/** A listing on the thread: its batches, and `cancel` for when they will not all be read. */
export interface ThreadListing {
  readonly batches: AsyncGenerator<DirectoryMember[]>;
  /** Drops the listing (also when its generator was never started). Idempotent. */
  cancel(): void;
}

/** A listing in progress: batches received and not yet taken, or the waiter for the next one. */
interface Stream {
  readonly queue: ListingReply[];
  wake: (() => void) | undefined;
}

export class ListingThread {
  readonly #worker: Worker;
  readonly #streams = new Map<number, Stream>();
  #next = 1;
  #stopped = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: ListingReply) => this.#deliver(reply));
    worker.on('error', () => this.#stop());
    worker.on('exit', () => this.#stop());
    // An idle listing thread never keeps the process alive.
    worker.unref();
  }

  /** Starts the thread; resolves once it runs (rejects when it cannot start). */
  static start(): Promise<ListingThread> {
    const worker = new Worker(WORKER_FILE);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`davsync: the listing thread failed to start: ${err.message}`));
      const onExit = (code: number) => reject(new Error(`davsync: the listing thread exited (${code}) before it started`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('online', () => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(new ListingThread(worker));
      });
    });
  }

  /** False once the thread has failed or been closed: list on the main thread instead. */
  get available(): boolean {
    return !this.#stopped;
  }

  /**
   * The visible members of the directory at `real`, except the names in
   * `skip`, in batches. Reading starts at once (before the first `next()`),
   * so it overlaps with whatever the caller does first. Errors come as the
   * Node error of the failed call (with its `code`); a thread that stops
   * midway fails the listing as `unavailable`. `FsAdapter` calls this;
   * users only start the thread, pass it and close it.
   *
   * @internal
   */
  list(real: string, atRoot: boolean, rules: ListingRules, skip: readonly string[]): ThreadListing {
    if (this.#stopped) throw stoppedError();
    const id = this.#next++;
    const stream: Stream = { queue: [], wake: undefined };
    this.#streams.set(id, stream);
    // Keeps the process alive while a listing is open.
    if (this.#streams.size === 1) this.#worker.ref();
    this.#post({ op: 'open', id, real, atRoot, rules, skip });
    return { batches: this.#batches(id, stream, real), cancel: () => this.#end(id) };
  }

  /** Ends the thread; listings in progress fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stop();
    await this.#worker.terminate();
  }

  async *#batches(id: number, stream: Stream, real: string): AsyncGenerator<DirectoryMember[]> {
    try {
      for (;;) {
        const reply = await this.#take(stream);
        if ('error' in reply) throw Object.assign(new Error(reply.error.message), reply.error.code === undefined ? {} : { code: reply.error.code });
        if (reply.done) this.#end(id, true);
        else this.#post({ op: 'more', id }); // read on while this batch is written out
        if (reply.count > 0) yield unpack(reply, real);
        if (reply.done) return;
      }
    } finally {
      this.#end(id);
    }
  }

  /** Forgets a listing; tells the thread to drop it unless it said it was done (or failed). Idempotent. */
  #end(id: number, done = false): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    this.#streams.delete(id);
    // (A listing that failed is gone on the thread already; a close for it is ignored.)
    if (!done && !this.#stopped) this.#post({ op: 'close', id });
    if (this.#streams.size === 0 && !this.#stopped) this.#worker.unref();
  }

  async #take(stream: Stream): Promise<ListingReply> {
    while (stream.queue.length === 0) {
      if (this.#stopped) throw stoppedError();
      await new Promise<void>((resolve) => (stream.wake = resolve));
      stream.wake = undefined;
    }
    return stream.queue.shift() as ListingReply;
  }

  #deliver(reply: ListingReply): void {
    const stream = this.#streams.get(reply.id);
    if (stream === undefined) return; // abandoned meanwhile
    stream.queue.push(reply);
    stream.wake?.();
  }

  #post(request: ListingRequest): void {
    this.#worker.postMessage(request);
  }

  #stop(): void {
    this.#stopped = true;
    for (const stream of this.#streams.values()) stream.wake?.();
  }
}

function stoppedError(): DavError {
  return new DavError('unavailable', 'davsync: the listing thread has stopped');
}

function unpack(batch: ListingBatch, real: string): DirectoryMember[] {
  // \`real\` is absolute and normalised and a name has no separator, so this is
  // \`join(real, name)\` without its per-call normalisation.
  const prefix = real.endsWith(sep) ? real : real + sep;
  const names = batch.names.split('/');
  const etags = batch.etags.split('/');
  const identities = batch.identities.split('/');
  const out = new Array<DirectoryMember>(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const name = names[i] as string;
    const facts: MemberFacts = {
      kind: batch.kinds[i] === 1 ? 'file' : 'collection',
      etag: etags[i] as string,
      size: batch.numbers[i * 3] as number,
      modifiedMs: batch.numbers[i * 3 + 1] as number,
      createdMs: batch.numbers[i * 3 + 2] as number,
      identity: identities[i] as string,
    };
    out[i] = { name, real: prefix + name, kind: facts.kind, facts };
  }
  return out;
}
