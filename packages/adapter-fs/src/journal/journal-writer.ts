/**
 * The journal's writes on a thread of their own. better-sqlite3 is
 * synchronous, and with `synchronous = FULL` each commit waits for an fsync:
 * on the main thread that stalls every request in flight, once per write.
 * Here the writer thread owns a second connection to the same state
 * database and runs `commit` and `prune`; the main connection keeps every
 * read. Commits that arrive together share one transaction and one fsync.
 *
 * Guarantees are unchanged: a commit's promise resolves after its
 * transaction is durable, and SQLite makes a commit visible to other
 * connections only once it is in the WAL (after the fsync, with FULL), so a
 * reader never sees a revision before the revisions below it are committed.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DavError, type DavErrorCode, type JournalChange, type PruneRule } from '@davsync/core';
import type { JournalWrites } from './journal-store';
import type { WriterReady, WriterReply, WriterRequest } from './journal-writer-worker';

/**
 * The worker runs compiled JavaScript: `dist/journal/` of this package,
 * which `tsc -b` builds. The path goes up to the package from this file's
 * folder, so it is the same whether this file runs from `dist/journal/` or,
 * in the tests, from `src/journal/`.
 */
const WORKER_FILE = join(__dirname, '..', '..', 'dist', 'journal', 'journal-writer-worker.js');

type Pending = { resolve: (value: number) => void; reject: (err: unknown) => void };

export class JournalWriterThread implements JournalWrites {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #now: () => number;
  #next = 1;
  #failure: DavError | undefined;

  private constructor(worker: Worker, now: () => number) {
    this.#worker = worker;
    this.#now = now;
    worker.on('message', (reply: WriterReply) => this.#settle(reply));
    worker.on('error', (err) => this.#fail(unavailable(`the journal writer thread failed: ${err.message}`)));
    worker.on('exit', () => this.#fail(unavailable('the journal writer thread has stopped')));
  }

  /**
   * Starts the thread on the state database `file`; resolves once it has
   * opened it (rejects as `openStateDb` would). `now` is the clock stamped on
   * tombstones (default `Date.now`), read when a commit is sent.
   */
  static start(file: string, options: { busyTimeoutMs?: number; now?: () => number } = {}): Promise<JournalWriterThread> {
    const { now = Date.now, ...data } = options;
    const worker = new Worker(WORKER_FILE, { workerData: { file, ...data } });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(unavailable(`the journal writer thread exited (${code}) before opening ${file}`));
      const onError = (err: Error) => reject(unavailable(`the journal writer thread failed to start: ${err.message}`));
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.once('message', (ready: WriterReady) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (ready.ready) resolve(new JournalWriterThread(worker, now));
        else {
          void worker.terminate();
          reject(revive(ready.error));
        }
      });
    });
  }

  commit(changes: readonly JournalChange[]): Promise<number> {
    return this.#send({ id: 0, op: 'commit', changes, time: this.#now() });
  }

  prune(rule: PruneRule): Promise<number> {
    return this.#send({ id: 0, op: 'prune', rule });
  }

  /** Finishes the requests already sent, closes the writer's connection and ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.#failure !== undefined) return;
    await this.#send({ id: 0, op: 'close' });
    this.#fail(unavailable('the journal is closed'));
    await this.#worker.terminate();
  }

  #send(request: WriterRequest): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  #settle(reply: WriterReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) pending.reject(revive(reply.error));
    else pending.resolve(reply.result);
  }

  #fail(err: DavError): void {
    this.#failure ??= err;
    for (const [, p] of this.#pending) p.reject(this.#failure);
    this.#pending.clear();
  }
}

function unavailable(message: string): DavError {
  return new DavError('unavailable', `davsync: ${message}`);
}

/** An error from the thread, as the caller would have got it on the main thread. */
function revive(error: { message: string; code?: string; path?: string }): Error {
  if (error.code !== undefined) return new DavError(error.code as DavErrorCode, error.message, error.path);
  return new Error(error.message);
}
