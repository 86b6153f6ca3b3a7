/**
 * The journal writer thread's body (see `journal-writer.ts`): its own
 * connection to the state database, on which it runs every commit and
 * prune of the journal. Requests that arrive together are committed in one
 * transaction, so they share one fsync.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDavError, type JournalChange, type PruneRule } from '@davsync/core/base';
import { SqliteJournal } from './journal-store';
import { openStateDb } from './state-db';

/** What the main thread sends. */
export type WriterRequest =
  | { readonly id: number; readonly op: 'commit'; readonly changes: readonly JournalChange[]; readonly time: number }
  | { readonly id: number; readonly op: 'prune'; readonly rule: PruneRule }
  | { readonly id: number; readonly op: 'close' };

/** What it gets back: a result, or an error as plain data (a `DavError` keeps its code). */
export type WriterReply =
  | { readonly id: number; readonly result: number }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string; readonly path?: string } };

/** Sent once, after the database opened (or failed to). */
export type WriterReady = { readonly ready: true } | { readonly ready: false; readonly error: { readonly message: string; readonly code?: string } };

function plain(err: unknown): { message: string; code?: string; path?: string } {
  if (isDavError(err)) return { message: err.message, code: err.code, ...(err.path === undefined ? {} : { path: err.path }) };
  return { message: err instanceof Error ? err.message : String(err) };
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('davsync: journal-writer-worker must run as a worker thread');
  const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs?: number };
  let journal: SqliteJournal;
  // The main thread's clock, as of the group being committed (tombstone ages).
  let time = Date.now();
  try {
    journal = new SqliteJournal(openStateDb(file, busyTimeoutMs === undefined ? {} : { busyTimeoutMs }), { now: () => time });
  } catch (err) {
    port.postMessage({ ready: false, error: plain(err) } satisfies WriterReady);
    return;
  }
  port.postMessage({ ready: true } satisfies WriterReady);

  let queue: WriterRequest[] = [];
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    // Consecutive commits go in one transaction; a prune or close ends the group.
    let commits: Extract<WriterRequest, { op: 'commit' }>[] = [];
    const flush = (): void => {
      if (commits.length === 0) return;
      const group = commits;
      commits = [];
      try {
        time = group[0]!.time;
        const outcomes = journal.commitGroup(group.map((r) => r.changes));
        group.forEach((r, i) => {
          const o = outcomes[i]!;
          port.postMessage(('revision' in o ? { id: r.id, result: o.revision } : { id: r.id, error: plain(o.error) }) satisfies WriterReply);
        });
      } catch (err) {
        for (const r of group) port.postMessage({ id: r.id, error: plain(err) } satisfies WriterReply);
      }
    };
    for (const request of batch) {
      if (request.op === 'commit') {
        commits.push(request);
        continue;
      }
      flush();
      if (request.op === 'prune') {
        try {
          port.postMessage({ id: request.id, result: journal.pruneNow(request.rule) } satisfies WriterReply);
        } catch (err) {
          port.postMessage({ id: request.id, error: plain(err) } satisfies WriterReply);
        }
      } else {
        void journal.close();
        port.postMessage({ id: request.id, result: 0 } satisfies WriterReply);
        port.close();
        return;
      }
    }
    flush();
  };
  port.on('message', (request: WriterRequest) => {
    queue.push(request);
    // Let every request already posted arrive before committing: they form the group.
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  });
}

main();
