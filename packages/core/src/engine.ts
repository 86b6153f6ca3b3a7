/**
 * The sync engine: a storage adapter and a change journal composed. Every
 * mutation made through the engine runs the store operation and records its
 * journal entries under one tree lock, so the journal always describes the
 * store; `refresh` records changes made behind the engine's back; `changes`
 * answers RFC 6578 deltas from the journal alone.
 */
import { z } from 'zod';
import type { CopyOptions, MoveOptions, StorageAdapter, TransferResult, WriteOptions } from './adapter';
import { type ChangeSet, type DeltaCursor, type DeltaOptions, type UnsyncableReason, planDelta } from './delta';
import type { ByteStream, Entry } from './entry';
import { DavError } from './errors';
import type { JournalChange, JournalStore, SyncLevel } from './journal';
import { listInBatches } from './listing';
import { MemoryJournal } from './memory-journal';
import { normalizePath, ROOT } from './paths';
import { PathLock } from './path-lock';
import { newestEntries } from './recent';
import { pruneRule, retentionSchema, type RetentionPolicy } from './retention';
import { MemoryRevocationLog, type RevocationLog } from './revocations';
import { formatSyncToken } from './sync-token';

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods = (...names: string[]) => (v: unknown): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

const optionsSchema = z
  .object({
    adapter: z.custom<StorageAdapter>(
      hasMethods('stat', 'list', 'read', 'write', 'remove', 'mkcol', 'copy', 'move'),
      'adapter must implement StorageAdapter (stat, list, read, write, remove, mkcol, copy, move)',
    ),
    journal: z
      .custom<JournalStore>(hasMethods('commit', 'get', 'collection', 'scan', 'prune', 'tombstoneCount'), 'journal must implement JournalStore')
      .optional(),
    pageSize: z.number().int().positive().optional(),
    retention: retentionSchema.optional(),
    unsyncable: z.custom<(path: string) => UnsyncableReason | undefined>(isFunction, 'unsyncable must be a function').optional(),
    now: z.custom<() => number>(isFunction, 'now must be a function').optional(),
    revocations: z.custom<RevocationLog>(hasMethods('record', 'revokedAt'), 'revocations must implement RevocationLog').optional(),
  })
  .strict();

/** Options of {@link SyncEngine}; validated at construction. */
export interface SyncEngineOptions {
  /** The store to serve. */
  readonly adapter: StorageAdapter;
  /**
   * Where to keep the change journal. Default: the adapter's own, else in
   * memory. Not allowed with an adapter that has its own journal (such an
   * adapter records its mutations there itself, in the same transaction).
   */
  readonly journal?: JournalStore;
  /** Server page size: truncate any sync response after this many changes. Default: no limit (responses stream). */
  readonly pageSize?: number;
  /** How much removal history to keep. Default: 100 000 tombstones, no age limit. */
  readonly retention?: z.input<typeof retentionSchema>;
  /** Collections that cannot be synced (by traversal); default: every collection can. */
  readonly unsyncable?: (collectionPath: string) => UnsyncableReason | undefined;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Where {@link SyncEngine.revokeAccess} keeps revocations. Default: in memory. */
  readonly revocations?: RevocationLog;
}

/** A change recorded through {@link SyncEngine.record}. */
export interface RecordedChange {
  readonly path: string;
  readonly removed?: boolean;
  readonly collection?: boolean;
  readonly etag?: string;
}

/** Options of {@link SyncEngine.recentChanges}. */
export interface RecentChangesOptions {
  /** At most this many changes (a positive integer). Default 20. */
  readonly limit?: number;
  /** Direct members only (`1`, the default) or all descendants. */
  readonly level?: SyncLevel;
}

/** One entry of {@link SyncEngine.recentChanges}: the latest state of a path. */
export interface RecentChange {
  readonly type: 'changed' | 'removed';
  readonly path: string;
  readonly collection: boolean;
  /** ETag of a changed member (`''` for a removal). */
  readonly etag: string;
  /** Journal revision at which the path got this state. */
  readonly revision: number;
}

/** What {@link SyncEngine.recentChanges} returns. */
export interface RecentChanges {
  /** The collection's sync token as of these changes (what `currentToken` said then). */
  readonly token: string;
  /** Newest first; each path at most once, with its latest state. */
  readonly changes: readonly RecentChange[];
}

const END = Number.MAX_SAFE_INTEGER;

/**
 * @example
 * const engine = new SyncEngine({ adapter: new MemoryAdapter() });
 * await engine.write('/a.txt', Readable.from(['hello']));
 * const first = await engine.changes('/', null, { level: 1 });   // lists /a.txt
 * const next = await engine.changes('/', first.token, { level: 1 }); // nothing
 */
export class SyncEngine {
  readonly adapter: StorageAdapter;
  readonly journal: JournalStore;
  private readonly pageSize: number | undefined;
  private readonly retention: RetentionPolicy;
  private readonly unsyncable: ((path: string) => UnsyncableReason | undefined) | undefined;
  private readonly now: () => number;
  private readonly locks = new PathLock();
  /** Who lost read access to what, and when (see `revocations.ts`). */
  readonly revocations: RevocationLog;
  /**
   * The adapter keeps its own journal and records each mutation in it, in
   * the mutation's own transaction (a database). The engine then records
   * nothing for mutations made through the adapter: it would record them
   * twice, and not atomically.
   */
  private readonly selfJournaling: boolean;

  constructor(options: SyncEngineOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
      throw new TypeError(`davsync: invalid engine options: ${why}`);
    }
    const o = parsed.data;
    this.adapter = o.adapter;
    this.now = o.now ?? Date.now;
    if (o.adapter.journal !== undefined && o.journal !== undefined && o.journal !== o.adapter.journal) {
      throw new TypeError('davsync: invalid engine options: journal: this adapter keeps its own journal; do not pass another one');
    }
    this.selfJournaling = o.adapter.journal !== undefined;
    this.journal = o.adapter.journal ?? o.journal ?? new MemoryJournal({ now: this.now });
    this.pageSize = o.pageSize;
    this.retention = retentionSchema.parse(o.retention ?? {});
    this.unsyncable = o.unsyncable;
    this.revocations = o.revocations ?? new MemoryRevocationLog();
  }

  // ---- synchronization -------------------------------------------------

  /**
   * Validates a sync request and returns a cursor streaming its changes
   * (RFC 6578 §3). Validation errors are thrown here, before anything is sent.
   */
  openChanges(collection: string, token: string | null, options: DeltaOptions): Promise<DeltaCursor> {
    return planDelta(this.journal, normalizePath(collection), token, options, {
      pageSize: this.pageSize,
      unsyncable: this.unsyncable,
    });
  }

  /** What changed in `collection` since `token` (`null`: everything), collected. */
  async changes(collection: string, token: string | null, options: DeltaOptions): Promise<ChangeSet> {
    return (await this.openChanges(collection, token, options)).collect();
  }

  /** The collection's current token (its DAV:sync-token property), or `undefined` if it is not a collection. */
  async currentToken(collection: string): Promise<string | undefined> {
    const state = await this.journal.collection(normalizePath(collection));
    return state === undefined ? undefined : formatSyncToken({ incarnation: state.incarnation, revision: state.currentRevision });
  }

  /**
   * The most recent changes in a collection's scope, newest first, from the
   * journal: for people (a log, an HTML index), not for syncing (use
   * `changes` with a token). Each path appears once, with its latest state;
   * removals are shown as long as their tombstones are retained; changes
   * from before this incarnation of the collection are not shown. Returns
   * `undefined` when `collection` is not a collection the journal knows.
   *
   * Cost: the journal is scanned backwards in windows of revisions doubling
   * in width; memory is O(limit) and the entries read are at most those in
   * about twice the revision span holding the `limit` newest ones (see
   * `recent.ts`), so a busy or huge collection stays cheap when its newest
   * changes are recent, and the worst case reads the collection's retained
   * history once.
   *
   * @example
   * const { token, changes } = (await engine.recentChanges('/notes', { limit: 10, level: 'infinite' }))!;
   */
  async recentChanges(collection: string, options: RecentChangesOptions = {}): Promise<RecentChanges | undefined> {
    const limit = options.limit ?? 20;
    const level = options.level ?? 1;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`davsync: recentChanges limit must be a positive integer, not ${limit}`);
    if (level !== 1 && level !== 'infinite') throw new TypeError(`davsync: recentChanges level must be 1 or 'infinite', not ${String(level)}`);
    const path = normalizePath(collection);
    const state = await this.journal.collection(path);
    if (state === undefined) return undefined;
    const entries = await newestEntries(this.journal, path, level, limit, state.createdRevision, state.currentRevision);
    return {
      token: formatSyncToken({ incarnation: state.incarnation, revision: state.currentRevision }),
      changes: entries.map((e) => ({
        type: e.removed ? 'removed' : 'changed',
        path: e.path,
        collection: e.collection,
        etag: e.removed ? '' : e.etag,
        revision: e.revision,
      })),
    };
  }

  /** RFC 6578 §5: true when `token` is the collection's current token (nothing changed since). */
  async isCurrentToken(collection: string, token: string): Promise<boolean> {
    return (await this.currentToken(collection)) === token;
  }

  // ---- mutations ---------------------------------------------------------

  /** Creates or replaces a file; returns its entry and whether it was created. */
  write(path: string, body: ByteStream, options?: WriteOptions): Promise<{ entry: Entry; created: boolean }> {
    const p = normalizePath(path);
    return this.locks.run([p], async () => {
      const before = await this.adapter.stat(p);
      const entry = await this.adapter.write(p, body, options);
      await this.commitMutation(() => [changeOf(entry)]);
      return { entry, created: before === undefined };
    });
  }

  /** Creates a collection. */
  mkcol(path: string): Promise<Entry> {
    const p = normalizePath(path);
    return this.locks.run([p], async () => {
      const entry = await this.adapter.mkcol(p);
      await this.commitMutation(() => [changeOf(entry)]);
      return entry;
    });
  }

  /** Removes a member (a collection with everything below it). */
  remove(path: string): Promise<void> {
    const p = normalizePath(path);
    return this.locks.run([p], async () => {
      const before = this.selfJournaling ? undefined : await this.adapter.stat(p);
      await this.adapter.remove(p);
      await this.commitMutation(() => this.removalChanges(p, before?.collection ?? false), true);
    });
  }

  /** Copies a member (RFC 4918 §9.8 semantics, see `StorageAdapter.copy`). */
  copy(from: string, to: string, options?: CopyOptions): Promise<TransferResult> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    return this.locks.run([src, dst], async () => {
      const result = await this.adapter.copy(src, dst, options);
      await this.commitMutation(() => this.reconcile(dst, true), true);
      return result;
    });
  }

  /** Moves a member (RFC 4918 §9.9 semantics, see `StorageAdapter.move`). */
  move(from: string, to: string, options?: MoveOptions): Promise<TransferResult> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    return this.locks.run([src, dst], async () => {
      const before = this.selfJournaling ? undefined : await this.adapter.stat(src);
      const result = await this.adapter.move(src, dst, options);
      await this.commitMutation(async () => [
        ...(await this.removalChanges(src, before?.collection ?? false)),
        ...(await this.reconcile(dst, true)),
      ], true);
      return result;
    });
  }

  /** Sets and removes dead properties atomically; the member is reported as changed. */
  patchProperties(path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
    const p = normalizePath(path);
    const store = this.adapter.properties;
    if (store === undefined) throw new DavError('forbidden', 'this store cannot keep dead properties', p);
    return this.locks.run([p], async () => {
      await store.patch(p, set, remove);
      await this.commitMutation(async () => {
        const entry = await this.adapter.stat(p);
        return entry !== undefined && p !== ROOT ? [changeOf(entry)] : [];
      });
    });
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
    const p = normalizePath(path);
    return this.locks.run([p], async () => {
      const changes = await this.reconcile(p, false, options.signal);
      await this.commit(changes);
      return changes.length;
    });
  }

  /**
   * Records changes the host made itself (wrap mode, database triggers), in
   * order. A removed collection takes its recorded members with it.
   */
  async record(changes: readonly RecordedChange[]): Promise<void> {
    for (const c of changes) {
      const path = normalizePath(c.path);
      await this.locks.run([path], async () => {
        if (c.removed) await this.commit(await this.removalChanges(path, c.collection ?? false));
        else await this.commit([{ path, removed: false, collection: c.collection ?? false, etag: c.etag ?? '' }]);
      });
    }
  }

  // ---- access changes (for hosts with an `authorize` hook) ------------------

  /**
   * Tells sync that users may now read `paths` (and everything below them)
   * who could not before. Davsync cannot see a host's permissions change, so
   * without this call a newly readable member reaches a user's mirror only
   * when it next changes. Records every live member of those subtrees as
   * changed (RFC 6578 §3.5.1: a member newly visible is reported as
   * changed); users who could already read them get them again, harmlessly.
   * Cost: one journal entry per member below `paths`. Returns that count.
   *
   * @example
   * acl.grant('bob', '/projects/apollo');
   * await engine.grantAccess(['/projects/apollo']);
   */
  grantAccess(paths: readonly string[]): Promise<number> {
    const ps = paths.map(normalizePath);
    return this.locks.run(ps, async () => {
      const changes = await this.liveSubtrees(ps);
      await this.commit(changes);
      return changes.length;
    });
  }

  /**
   * Tells sync that `users` may no longer read `paths` (and everything below
   * them). Their next delta from an older token reports each of those members
   * they may not read any more as removed (RFC 6578 §3.5.2); other users see
   * them as changed, harmlessly. Call it after the host's permissions have
   * changed, so the `authorize` hook already answers with the new rights.
   * Cost: one journal entry per member below `paths`, and one revocation
   * record per user and member. Returns the number of members.
   *
   * @example
   * acl.revoke('bob', '/projects/apollo');
   * await engine.revokeAccess(['bob'], ['/projects/apollo']);
   */
  revokeAccess(users: readonly string[], paths: readonly string[]): Promise<number> {
    const ps = paths.map(normalizePath);
    return this.locks.run(ps, async () => {
      const changes = await this.liveSubtrees(ps);
      if (changes.length === 0) return 0;
      const revision = await this.journal.commit(changes);
      // Every entry of that commit has a revision <= `revision` and > any
      // token issued before it, so one revision serves them all.
      await this.revocations.record(users, changes.map((c) => c.path), revision);
      return changes.length;
    });
  }

  /** Prunes history past the retention policy now; returns tombstones dropped. */
  compact(): Promise<number> {
    return this.journal.prune(pruneRule(this.retention, this.now()));
  }

  /** Closes the journal. */
  async close(): Promise<void> {
    await this.journal.close?.();
  }

  // ---- internals -----------------------------------------------------------

  /**
   * Records what a mutation made through the adapter changed, unless the
   * adapter recorded it itself; compacts after a mutation that may have
   * removed members (`removes`), since tombstones are what retention drops.
   */
  private async commitMutation(changes: () => readonly JournalChange[] | Promise<readonly JournalChange[]>, removes = false): Promise<void> {
    if (!this.selfJournaling) return this.commit(await changes());
    if (removes) await this.compact();
  }

  private async commit(changes: readonly JournalChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.journal.commit(changes);
    if (changes.some((c) => c.removed)) await this.compact();
  }

  /** Every live member at or below `paths`, per the journal, as a change with its current state. */
  private async liveSubtrees(paths: readonly string[]): Promise<JournalChange[]> {
    const seen = new Set<string>();
    const out: JournalChange[] = [];
    const add = (e: { path: string; removed: boolean; collection: boolean; etag: string }): void => {
      if (e.removed || seen.has(e.path)) return;
      seen.add(e.path);
      out.push({ path: e.path, removed: false, collection: e.collection, etag: e.etag });
    };
    for (const path of paths) {
      if (path !== ROOT) {
        const entry = await this.journal.get(path);
        if (entry === undefined || entry.removed) continue;
        add(entry);
        if (!entry.collection) continue;
      }
      for await (const batch of this.journal.scan(path, 'infinite', 0, END)) for (const e of batch) add(e);
    }
    return out;
  }

  /** Tombstones for `path` and, first thing after it, every live member below it. */
  private async removalChanges(path: string, collection: boolean): Promise<JournalChange[]> {
    const out: JournalChange[] = [{ path, removed: true, collection }];
    if (collection) {
      for await (const batch of this.journal.scan(path, 'infinite', 0, END)) {
        for (const e of batch) if (!e.removed) out.push({ path: e.path, removed: true, collection: e.collection });
      }
    }
    return out;
  }

  /**
   * The journal changes that make `path`'s subtree match the store. With
   * `remapped` (the destination of a COPY or MOVE) every member there counts
   * as changed even if its ETag is the same: RFC 6578 §3.5.1 reports newly
   * mapped members, and their dead properties may differ.
   */
  private async reconcile(path: string, remapped = false, signal?: AbortSignal): Promise<JournalChange[]> {
    const changes: JournalChange[] = [];
    const actual = path === ROOT ? undefined : await this.adapter.stat(path);
    if (path !== ROOT) {
      const known = await this.journal.get(path);
      const knownLive = known !== undefined && !known.removed ? known : undefined;
      if (actual === undefined) {
        if (knownLive) changes.push(...(await this.removalChanges(path, knownLive.collection)));
        return changes;
      }
      if (remapped || differs(knownLive, actual)) changes.push(changeOf(actual));
      if (knownLive?.collection && !actual.collection) changes.push(...(await this.removalChanges(path, true)).slice(1));
      if (!actual.collection) return changes;
    }
    await this.reconcileMembers(path, changes, remapped, signal);
    return changes;
  }

  private async reconcileMembers(dir: string, changes: JournalChange[], remapped: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const known = new Map<string, { collection: boolean; etag: string }>();
    for await (const batch of this.journal.scan(dir, 1, 0, END)) {
      for (const e of batch) if (!e.removed) known.set(e.path, e);
    }
    const subdirs: string[] = [];
    for await (const batch of listInBatches(this.adapter, dir)) {
      signal?.throwIfAborted();
      for (const entry of batch) {
        const k = known.get(entry.path);
        known.delete(entry.path);
        if (remapped || differs(k, entry)) changes.push(changeOf(entry));
        if (k?.collection && !entry.collection) changes.push(...(await this.removalChanges(entry.path, true)).slice(1));
        if (entry.collection) subdirs.push(entry.path);
      }
    }
    for (const [gone, k] of known) changes.push(...(await this.removalChanges(gone, k.collection)));
    for (const d of subdirs) await this.reconcileMembers(d, changes, remapped, signal);
  }
}

function changeOf(entry: Entry): JournalChange {
  return { path: entry.path, removed: false, collection: entry.collection, etag: entry.etag };
}

function differs(known: { collection: boolean; etag: string } | undefined, actual: Entry): boolean {
  return known === undefined || known.collection !== actual.collection || known.etag !== actual.etag;
}

