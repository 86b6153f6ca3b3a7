/**
 * The sync engine: a storage adapter composed with a sync log. Every
 * mutation made through the engine runs the store operation and commits its
 * journal entries (`journal-changes.ts` says which) under one tree lock, so
 * the journal always describes the store; `refresh` reconciles the store
 * with the journal for changes made behind the engine's back. Everything
 * else — deltas, tokens, recording, access changes, retention, change
 * events — is the log's (`engine.log`); the engine's methods for them
 * delegate.
 */
import { z } from 'zod';
import type { CopyOptions, MoveOptions, StorageAdapter, TransferResult, WriteOptions } from './adapter';
import { asPropertyChange } from './change-events';
import { CHECKSUM_ALGORITHMS, checksumAlgorithmsOf, checksummedWrite, type ChecksumAlgorithm, type Checksums, type ChecksumsOption } from './checksums';
import type { ChangeSet, DeltaCursor, DeltaOptions } from './delta';
import type { ByteStream, Entry } from './entry';
import { DavError } from './errors';
import type { JournalStore } from './journal';
import { journalChangesOf, type TreeMutation, type TreeReader } from './journal-changes';
import { adapterTree } from './listing';
import type { LockStore } from './locks/lock-store';
import { MemoryLockStore } from './locks/memory-lock-store';
import { normalizePath, ROOT } from './paths';
import { PathLock } from './path-lock';
import type { RevocationLog } from './revocations';
import { parseOptions } from './options-error';
import {
  SyncLog,
  syncLogOptionsShape,
  type RecentChanges,
  type RecentChangesOptions,
  type RecordedChange,
  type SyncLogOptions,
} from './sync-log';

const hasMethods = (...names: string[]) => (v: unknown): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

// The engine's options are its log's, less the lock: the engine owns the tree lock and shares it with its log.
const { lock: _ownLock, ...logShape } = syncLogOptionsShape;
const optionsSchema = z
  .object({
    adapter: z.custom<StorageAdapter>(
      hasMethods('stat', 'list', 'read', 'write', 'remove', 'mkcol', 'copy', 'move'),
      'adapter must implement StorageAdapter (stat, list, read, write, remove, mkcol, copy, move)',
    ),
    locks: z
      .custom<LockStore>(
        hasMethods('lock', 'refresh', 'unlock', 'get', 'locksCovering', 'locksBelow', 'removeWithin', 'purgeExpired', 'count'),
        'locks must implement LockStore',
      )
      .optional(),
    checksums: z.union([z.boolean(), z.object({ algorithms: z.array(z.enum(CHECKSUM_ALGORITHMS as [ChecksumAlgorithm, ...ChecksumAlgorithm[]])).min(1) }).strict()]).optional(),
    onWarning: z.custom<(message: string) => void>((v) => typeof v === 'function', 'onWarning must be a function').optional(),
    ...logShape,
  })
  .strict();

/** Options of {@link SyncEngine}; validated at construction. */
export interface SyncEngineOptions extends Omit<SyncLogOptions, 'lock' | 'journal'> {
  /** The store to serve. */
  readonly adapter: StorageAdapter;
  /**
   * The store's change journal: how every store supplies it (`openFsStore`
   * passes its `SqliteJournal`, `openPostgresStore` its `PostgresJournal`).
   * Default: in memory. An adapter that records its own mutations
   * (`adapter.recordsChangesIn`) needs exactly that journal here.
   */
  readonly journal?: JournalStore;
  /**
   * Where the store's WebDAV locks live (`openFsStore` passes its
   * `SqliteLockStore`, `openPostgresStore` its `PostgresLockStore`).
   * Default: a `MemoryLockStore` on the engine's clock. `close()` closes it.
   */
  readonly locks?: LockStore;
  /**
   * Compute SHA-1, MD5 and SHA-256 of every file written through the engine
   * as its body streams in, for the adapter to store (`Entry.checksums`,
   * served as `oc:checksums`). Default true (all three). `{ algorithms:
   * ['md5'] }` computes only those named (MD5 alone costs about 1.4 ms of
   * CPU per MiB, SHA-1 and SHA-256 about 0.6 each where the CPU has SHA
   * instructions). False saves the hashing; only a digest a client
   * announces for verification (`EngineWriteOptions.expectedChecksums`) is
   * then computed.
   */
  readonly checksums?: ChecksumsOption;
  /**
   * Where the engine tells of trouble that did not fail a request of its
   * own making — today, the hashing thread dying (`hashing-thread.ts`).
   * Default: console.warn. `openFsStore` and `openPostgresStore` pass their
   * `onWarning`.
   */
  readonly onWarning?: (message: string) => void;
}

/** Options of {@link SyncEngine.write}: the adapter's, and what the client announced. */
export interface EngineWriteOptions extends WriteOptions {
  /**
   * Digests the client announced for the body (an `OC-Checksum` header).
   * When the body's differ, the write fails with `bad-request` and stores
   * nothing.
   */
  readonly expectedChecksums?: Checksums;
}

/**
 * @example
 * const engine = new SyncEngine({ adapter: new MemoryAdapter() });
 * await engine.write('/a.txt', Readable.from(['hello']));
 * const first = await engine.changes('/', null, { level: 1 });   // lists /a.txt
 * const next = await engine.changes('/', first.token, { level: 1 }); // nothing
 */
export class SyncEngine {
  readonly adapter: StorageAdapter;
  /** The journal side: deltas, tokens, recording, access changes, retention, change events. */
  readonly log: SyncLog;
  /**
   * The store's WebDAV locks (RFC 4918 §6–7). The HTTP methods that take
   * and check them (LOCK, UNLOCK, the `If` header's lock tokens) come in
   * the next step of issue 16; the engine's own mutations do not check them.
   */
  readonly locks: LockStore;
  /** The tree lock every mutation holds (in-process; not a WebDAV lock). */
  private readonly treeLock = new PathLock();
  private readonly tree: TreeReader;
  /**
   * The adapter commits each mutation's journal entries itself, in the
   * mutation's own transaction (a database). The engine then only tells the
   * log: committing them again would record them twice, and not atomically.
   */
  private readonly adapterRecords: boolean;
  /** Whether writes compute checksums (`SyncEngineOptions.checksums`). */
  readonly computesChecksums: boolean;
  /** The algorithms writes compute (empty when `checksums` is false). */
  readonly checksumAlgorithms: readonly ChecksumAlgorithm[];
  readonly #warn: (message: string) => void;

  constructor(options: SyncEngineOptions) {
    const { adapter, locks, checksums, onWarning, ...logOptions } = parseOptions(optionsSchema, options, 'engine');
    this.checksumAlgorithms = checksumAlgorithmsOf(checksums);
    this.computesChecksums = this.checksumAlgorithms.length > 0;
    this.#warn = onWarning ?? ((m) => console.warn(m));
    const own = adapter.recordsChangesIn;
    if (own !== undefined && logOptions.journal !== own) {
      throw new TypeError(
        'davsync: invalid engine options: journal: this adapter keeps its own journal and records its changes there; pass that journal (adapter.recordsChangesIn) as `journal`',
      );
    }
    this.adapter = adapter;
    this.locks = locks ?? new MemoryLockStore(logOptions.now === undefined ? {} : { now: logOptions.now });
    this.adapterRecords = own !== undefined;
    this.tree = adapterTree(adapter);
    this.log = new SyncLog({ ...logOptions, lock: this.treeLock });
  }

  /** The change journal (the log's). */
  get journal(): JournalStore {
    return this.log.journal;
  }

  /** Who lost read access to what, and when (the log's). */
  get revocations(): RevocationLog {
    return this.log.revocations;
  }

  // ---- synchronization: the log's ------------------------------------------

  /** See {@link SyncLog.openChanges}. */
  openChanges(collection: string, token: string | null, options: DeltaOptions): Promise<DeltaCursor> {
    return this.log.openChanges(collection, token, options);
  }

  /** See {@link SyncLog.changes}. */
  changes(collection: string, token: string | null, options: DeltaOptions): Promise<ChangeSet> {
    return this.log.changes(collection, token, options);
  }

  /** See {@link SyncLog.currentToken}. */
  currentToken(collection: string): Promise<string | undefined> {
    return this.log.currentToken(collection);
  }

  /**
   * See {@link SyncLog.recentChanges}.
   *
   * @example
   * const { token, changes } = (await engine.recentChanges('/notes', { limit: 10, level: 'infinite' }))!;
   */
  recentChanges(collection: string, options?: RecentChangesOptions): Promise<RecentChanges | undefined> {
    return this.log.recentChanges(collection, options);
  }

  /** See {@link SyncLog.isCurrentToken}. */
  isCurrentToken(collection: string, token: string): Promise<boolean> {
    return this.log.isCurrentToken(collection, token);
  }

  // ---- mutations ---------------------------------------------------------

  /** Creates or replaces a file; returns its entry and whether it was created. */
  write(path: string, body: ByteStream, options: EngineWriteOptions = {}): Promise<{ entry: Entry; created: boolean }> {
    const p = normalizePath(path);
    const { expectedChecksums, ...writeOptions } = options;
    const hashed = checksummedWrite(p, body, writeOptions, { compute: this.computesChecksums, algorithms: this.checksumAlgorithms, expected: expectedChecksums, onWarning: this.#warn });
    return this.treeLock.run([p], async () => {
      const before = await this.adapter.stat(p);
      const entry = await this.adapter.write(p, hashed.body, hashed.options);
      await this.journalMutation([p], async () => ({ kind: 'changed', entry }));
      return { entry, created: before === undefined };
    });
  }

  /** Creates a collection. */
  mkcol(path: string): Promise<Entry> {
    const p = normalizePath(path);
    return this.treeLock.run([p], async () => {
      const entry = await this.adapter.mkcol(p);
      await this.journalMutation([p], async () => ({ kind: 'changed', entry }));
      return entry;
    });
  }

  /** Removes a member (a collection with everything below it). */
  remove(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.treeLock.run([p], async () => {
      const before = await this.statBefore(p);
      await this.adapter.remove(p);
      await this.journalMutation([p], async () => ({ kind: 'removed', path: p, collection: before?.collection ?? false }), true);
    });
  }

  /** Copies a member (RFC 4918 §9.8 semantics, see `StorageAdapter.copy`). */
  copy(from: string, to: string, options?: CopyOptions): Promise<TransferResult> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    return this.treeLock.run([src, dst], async () => {
      const result = await this.adapter.copy(src, dst, options);
      await this.journalMutation([dst], async () => ({ kind: 'copied', destination: dst }), true);
      return result;
    });
  }

  /** Moves a member (RFC 4918 §9.9 semantics, see `StorageAdapter.move`). */
  move(from: string, to: string, options?: MoveOptions): Promise<TransferResult> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    return this.treeLock.run([src, dst], async () => {
      const before = await this.statBefore(src);
      const result = await this.adapter.move(src, dst, options);
      const moved: TreeMutation = { kind: 'moved', source: src, collection: before?.collection ?? false, destination: dst };
      await this.journalMutation([src, dst], async () => moved, true);
      return result;
    });
  }

  /**
   * Sets a member's modification time (`StorageAdapter.setModified`); the
   * member is reported as changed, as for any other change to it. Throws
   * `forbidden` when the store cannot keep client times.
   */
  setModified(path: string, modified: Date): Promise<Entry> {
    const p = normalizePath(path);
    const setModified = this.adapter.setModified?.bind(this.adapter);
    if (setModified === undefined) throw new DavError('forbidden', 'this store cannot set modification times', p);
    if (!(modified instanceof Date) || Number.isNaN(modified.getTime())) throw new DavError('bad-request', 'not a valid modification time', p);
    // A property change (the draft's property-update), not a content one.
    return asPropertyChange(() => this.treeLock.run([p], async () => {
      const entry = await setModified(p, modified);
      await this.journalMutation(p === ROOT ? [] : [p], async () => ({ kind: 'changed', entry }));
      return entry;
    }));
  }

  /** Sets and removes dead properties atomically; the member is reported as changed (change events: a property change). */
  patchProperties(path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
    const p = normalizePath(path);
    const store = this.adapter.properties;
    if (store === undefined) throw new DavError('forbidden', 'this store cannot keep dead properties', p);
    return asPropertyChange(() => this.treeLock.run([p], async () => {
      await store.patch(p, set, remove);
      await this.journalMutation(p === ROOT ? [] : [p], async () => {
        const entry = await this.adapter.stat(p);
        return entry === undefined ? undefined : { kind: 'changed', entry };
      });
    }));
  }

  /**
   * Records what changed in the store under `path` without going through the
   * engine (another program, a restart, an import): compares the store with
   * the journal and commits the differences. Costs a walk of that subtree.
   * Returns the number of changes recorded.
   *
   * `signal` stops the walk between two batches of a listing (rejecting
   * with its reason) and then nothing is recorded: a start-up reconcile of
   * a large tree can be given up promptly. Once the commit has begun, it
   * finishes.
   */
  refresh(path: string = ROOT, options: { signal?: AbortSignal } = {}): Promise<number> {
    const signal = options.signal;
    return this.log.reconcile(path, signal === undefined ? this.tree : adapterTree(this.adapter, { signal }));
  }

  /** See {@link SyncLog.record}. */
  async record(changes: readonly RecordedChange[]): Promise<void> {
    await this.log.record(changes);
  }

  // ---- access changes and retention: the log's ------------------------------

  /** See {@link SyncLog.grantAccess}. */
  grantAccess(paths: readonly string[]): Promise<number> {
    return this.log.grantAccess(paths);
  }

  /** See {@link SyncLog.revokeAccess}. */
  revokeAccess(users: readonly string[], paths: readonly string[]): Promise<number> {
    return this.log.revokeAccess(users, paths);
  }

  /** See {@link SyncLog.compact}. */
  compact(): Promise<number> {
    return this.log.compact();
  }

  /** Closes the journal and the lock store. */
  async close(): Promise<void> {
    await this.log.close();
    await this.locks.close?.();
  }

  // ---- internals -----------------------------------------------------------

  /**
   * Commits the journal entries of a mutation just made through the
   * adapter — or, when the adapter committed them itself, tells the log so
   * (`paths` are what the mutation touched; `removes`: it may have removed
   * members, so retention may have tombstones to drop).
   */
  private async journalMutation(paths: readonly string[], mutation: () => Promise<TreeMutation | undefined>, removes = false): Promise<void> {
    if (this.adapterRecords) return this.log.committedByStore(paths, removes);
    const made = await mutation();
    if (made !== undefined) await this.log.commit(await journalChangesOf(made, this.log.journal, this.tree));
  }

  /** The member before a removal or move, when the engine will journal it (else the adapter does, and no read is needed). */
  private statBefore(path: string): Promise<Entry | undefined> {
    return this.adapterRecords ? Promise.resolve(undefined) : this.adapter.stat(path);
  }
}
