/**
 * A ready-to-serve filesystem store: the adapter, its durable journal,
 * property table and lock store in one state database, a sync engine over them, a
 * reconcile at start-up (changes made while davsync was down) and a watcher
 * while it runs (changes made by other programs), with a periodic reconcile
 * as the backstop for anything a watch missed.
 */
import { join, resolve } from 'node:path';
import { checksumAlgorithmsOf, isWithin, SyncEngine, type LockLimits, type SyncEngineOptions } from '@davsync/core';
import { ChangeQueue } from '../watch/change-queue';
import { FsAdapter } from '../adapter/fs-adapter';
import { SqliteJournal } from '../journal/journal-store';
import { JournalWriterThread } from '../journal/journal-writer';
import { makeDirectory } from './make-directory';
import { ListingThread } from '../listing/listing-thread';
import { SqliteLockStore } from '../journal/sqlite-lock-store';
import { SqlitePushRegistrationStore } from '../journal/sqlite-push-registration-store';
import { SqliteRevocationLog } from '../journal/sqlite-revocation-log';
import { SqlitePropertyTable } from '../properties/sqlite-property-table';
import { SqliteFileIdTable } from '../properties/sqlite-file-id-table';
import { openStateDb, type StateDatabase } from '../journal/state-db';
import { lockStateDir } from './state-lock';
import { TreeWatcher } from '../watch/tree-watcher';

export interface FsStoreOptions {
  /** The directory to serve; created if missing. */
  readonly root: string;
  /** State directory (journal, properties, temp files). Default `<root>/.davsync`. */
  readonly stateDir?: string;
  /** Watch the tree for changes made by other programs. Default true. */
  readonly watch?: boolean;
  /** Quiet time before watched changes are recorded, in ms. Default 100. */
  readonly watchDelayMs?: number;
  /** Full reconcile every this many ms (0: never; the start-up one always runs). Default 300 000. */
  readonly reconcileIntervalMs?: number;
  /** Engine options (page size, retention, …). */
  readonly engine?: Omit<SyncEngineOptions, 'adapter' | 'journal'>;
  /**
   * Limits of the store's WebDAV locks, kept in the state database
   * (`engine.locks`, a `SqliteLockStore`): how many, the longest timeout,
   * the longest owner. Defaults: core's `LOCK_DEFAULTS`.
   */
  readonly locks?: LockLimits;
  /**
   * Resolve as soon as the state database and threads are open, and run the
   * start-up reconcile (changes made while the folder was not served) and
   * the watcher's start in the background. Default false. With true, the
   * engine must not be used until `reconciled` has resolved: a sync answer
   * given before would miss those changes, and an `If` with an old token
   * could pass. For a server that listens early and holds every request
   * until then (what `davsync serve` does).
   */
  readonly reconcileInBackground?: boolean;
  /** Warnings (e.g. the inotify watch limit was reached). Default: console.warn. */
  readonly onWarning?: (message: string) => void;
  /**
   * Gives up opening: start-up stops at its next step — within one listing
   * batch during the start-up reconcile — closes what it opened, releases
   * the lock, and the promise rejects with the signal's reason (an
   * `AbortError` by default). No effect once the store is open.
   */
  readonly signal?: AbortSignal;
}

export interface FsStore {
  readonly adapter: FsAdapter;
  readonly engine: SyncEngine;
  /** WebDAV-Push registrations in the state database: pass as the middleware's `push.store` so they survive a restart. */
  readonly pushRegistrations: SqlitePushRegistrationStore;
  /**
   * Resolves once the start-up reconcile is recorded and the watcher runs:
   * at once unless `reconcileInBackground`. Rejects if they failed; the
   * store has then closed itself.
   */
  readonly reconciled: Promise<void>;
  /** Records changes the watcher has seen but not yet recorded; resolves when done. */
  flush(): Promise<void>;
  /** Stops watching, waits for pending work and closes the state database. */
  close(): Promise<void>;
}

/**
 * Opens a directory for serving.
 *
 * @example
 * const store = await openFsStore({ root: './data' });
 * app.use(davsync({ engine: store.engine }));
 * process.on('SIGTERM', () => store.close());
 */
export async function openFsStore(options: FsStoreOptions): Promise<FsStore> {
  const { signal } = options;
  signal?.throwIfAborted();
  const root = resolve(options.root);
  // Both refuse a path that cannot be a folder (under a file, on /proc, …) at once.
  await makeDirectory(root);
  const stateDir = resolve(options.stateDir ?? join(root, '.davsync'));
  await makeDirectory(stateDir);
  signal?.throwIfAborted();
  const unlock = await lockStateDir(stateDir);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const file = join(stateDir, 'state.db');
  let db: StateDatabase | undefined;
  let writer: JournalWriterThread | undefined;
  let listing: ListingThread | undefined;
  try {
    db = openStateDb(file);
    // Each thread is a V8 isolate that loads its own modules (tens of ms,
    // far more on a busy machine): start both at once rather than one after
    // the other. The writer starts after openStateDb, which creates or
    // migrates the schema it opens.
    const [w, l] = await Promise.allSettled([JournalWriterThread.start(file), ListingThread.start()]);
    if (w.status === 'fulfilled') writer = w.value;
    if (l.status === 'rejected') throw l.reason;
    listing = l.value;
    if (w.status === 'rejected') {
      await listing.close();
      throw w.reason;
    }
    signal?.throwIfAborted();
  } catch (err) {
    await listing?.close();
    await writer?.close();
    db?.close();
    await unlock();
    throw err;
  }
  // Reads on this connection; commits on the writer thread's (see journal-writer.ts).
  const journal = new SqliteJournal(db, { writes: writer });
  const now = options.engine?.now;
  let adapter: FsAdapter;
  let engine: SyncEngine;
  try {
    adapter = new FsAdapter({
      root,
      stateDir,
      properties: new SqlitePropertyTable(db),
      fileIds: new SqliteFileIdTable(db),
      listing,
      // No checksums on writes, none computed behind them either.
      hashInBackground: options.engine?.checksums !== false,
      // The same digests the engine computes of uploads, for files it did not write.
      checksumAlgorithms: checksumAlgorithmsOf(options.engine?.checksums),
      onWarning: warn,
    });
    const locks = new SqliteLockStore(db, { ...options.locks, ...(now === undefined ? {} : { now }) });
    engine = new SyncEngine({ revocations: new SqliteRevocationLog(db), locks, onWarning: warn, ...options.engine, adapter, journal });
  } catch (err) {
    // Options the engine refuses: nothing opened above may stay open (a test's or a caller's process would never exit).
    await listing.close();
    await writer?.close();
    db.close();
    await unlock();
    throw err;
  }
  const pushRegistrations = new SqlitePushRegistrationStore(db, now === undefined ? {} : { now });
  // Torn down in reverse order of setup: timer, watcher, pending refreshes,
  // background hashing, the database, the listing thread, and the lock last.
  // (engine.close closes the journal, which closes its writer thread first.)
  const cleanup: Array<() => Promise<void> | void> = [unlock, () => listing.close(), () => engine.close(), () => adapter.close()];
  const closeAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  // Start-up stops when the caller gives up (`signal`) or, in the
  // background mode, when the store is closed before it finished: an
  // abandoned reconcile records nothing and the next start walks again.
  const stopping = new AbortController();
  const startSignal = signal === undefined ? stopping.signal : AbortSignal.any([signal, stopping.signal]);
  const start = async (): Promise<ChangeQueue> => {
    await adapter.ready();
    // What changed while nobody watched: other programs, or a crash between
    // a file's rename and its journal entry. The longest step on a large
    // tree, hence the one that listens to the signal inside.
    await engine.refresh('/', { signal: startSignal });
    startSignal.throwIfAborted(); // an abort that came during the commit, which is not cut
    const queue = new ChangeQueue({
      delayMs: options.watchDelayMs ?? 100,
      flush: async (paths) => {
        for (const p of paths) {
          await engine.refresh(p).catch((err: unknown) => warn(`davsync: cannot record changes at ${p}: ${String(err)}`));
          // A file another program wrote gets its checksums in the background (a folder's, when listed).
          adapter.noteChanged(p);
        }
      },
    });
    cleanup.push(() => queue.close());
    if (options.watch ?? true) {
      const stateMember = isWithin(stateDir, root) && stateDir !== root ? '/' + stateDir.slice(root.length + 1) : undefined;
      const watcher = new TreeWatcher({
        root,
        ignore: (p) => stateMember !== undefined && isWithin(p, stateMember),
        onChange: (p) => queue.add(p),
        onLimit: (err) =>
          warn(
            `davsync: cannot watch every folder under ${root} (${err.code}: raise fs.inotify.max_user_watches); ` +
              'changes by other programs in unwatched folders are recorded by the periodic reconcile',
          ),
      });
      cleanup.push(() => watcher.close());
      await watcher.start();
      startSignal.throwIfAborted();
    }
    const every = options.reconcileIntervalMs ?? 300_000;
    if (every > 0) {
      const timer = setInterval(() => queue.add('/'), every);
      timer.unref();
      cleanup.push(() => clearInterval(timer));
    }
    return queue;
  };
  // On failure the store closes itself (the lock is released) and `started` rejects.
  const started = start().catch(async (err: unknown) => {
    await closeAll();
    throw err;
  });
  if (!options.reconcileInBackground) {
    const queue = await started;
    return { adapter, engine, pushRegistrations, reconciled: Promise.resolve(), flush: () => queue.flushNow(), close: closeAll };
  }
  // Nobody may be waiting yet: a failure is reported through `reconciled`, never as an unhandled rejection.
  started.catch(() => {});
  return {
    adapter,
    engine,
    pushRegistrations,
    reconciled: started.then(() => undefined),
    flush: async () => (await started).flushNow(),
    // A close during the start-up steps stops them at their next step (the
    // reconcile within one listing batch) and waits for that, so what they
    // set up is torn down too.
    close: async () => {
      stopping.abort();
      await started.catch(() => {});
      await closeAll();
    },
  };
}
