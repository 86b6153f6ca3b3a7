/**
 * The sync log: the journal side of davsync, apart from any storage. It
 * answers RFC 6578 deltas and tokens from the change journal, records what
 * changed (a host's own changes, a reconcile against a tree, permission
 * changes), applies retention, and tells listeners after every commit.
 *
 * `SyncEngine` composes a log with a storage adapter and commits each of its
 * mutations here; wrap mode uses a log alone, the host being the store. The
 * log never reads a store by itself: a reconcile is handed the tree to
 * compare (`TreeReader`).
 */
import { z } from 'zod';
import { ChangeEvents, type SyncLogListener } from './change-events';
import { type ChangeSet, type DeltaCursor, type DeltaOptions, type DeltaSettings, type UnsyncableReason, planDelta } from './delta';
import type { JournalChange, JournalStore, SyncLevel } from './journal';
import { reconcileChanges, removalChanges, type TreeReader } from './journal-changes';
import { MemoryJournal } from './memory-journal';
import { normalizePath, ROOT } from './paths';
import { PathLock } from './path-lock';
import { parseOptions } from './options-error';
import { newestEntries } from './recent';
import { pruneRule, retentionSchema, type RetentionPolicy } from './retention';
import { MemoryRevocationLog, type RevocationLog } from './revocations';
import { formatSyncToken } from './sync-token';

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods = (...names: string[]) => (v: unknown): boolean =>
  typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

/** The options a sync log takes, as a zod shape (the engine's options extend it). */
export const syncLogOptionsShape = {
  journal: z
    .custom<JournalStore>(hasMethods('commit', 'get', 'collection', 'scan', 'prune', 'tombstoneCount'), 'journal must implement JournalStore')
    .optional(),
  pageSize: z.number().int().positive().optional(),
  retention: retentionSchema.optional(),
  unsyncable: z.custom<(path: string) => UnsyncableReason | undefined>(isFunction, 'unsyncable must be a function').optional(),
  now: z.custom<() => number>(isFunction, 'now must be a function').optional(),
  revocations: z.custom<RevocationLog>(hasMethods('record', 'revokedAt'), 'revocations must implement RevocationLog').optional(),
  lock: z.custom<PathLock>((v) => v instanceof PathLock, 'lock must be a PathLock').optional(),
  onError: z.custom<(err: unknown) => void>(isFunction, 'onError must be a function').optional(),
};

const optionsSchema = z.object(syncLogOptionsShape).strict();

/** Options of {@link SyncLog}; validated at construction. */
export interface SyncLogOptions {
  /** The change journal: the store's (`SqliteJournal`, `PostgresJournal`, …). Default: in memory. */
  readonly journal?: JournalStore;
  /** Server page size: truncate any sync response after this many changes. Default: no limit (responses stream). */
  readonly pageSize?: number;
  /** How much removal history to keep. Default: 100 000 tombstones, no age limit. */
  readonly retention?: z.input<typeof retentionSchema>;
  /** Collections that cannot be synced (by traversal); default: every collection can. */
  readonly unsyncable?: (collectionPath: string) => UnsyncableReason | undefined;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Where {@link SyncLog.revokeAccess} keeps revocations. Default: in memory. */
  readonly revocations?: RevocationLog;
  /**
   * The tree lock `record`, `reconcile` and the access changes take, so that
   * none of them reads the journal while a mutation of the same subtree is
   * between its store operation and its commit. `SyncEngine` passes its
   * own. Default: a lock of the log's own.
   */
  readonly lock?: PathLock;
  /** Gets what a change listener throws. Default: console.error. */
  readonly onError?: (err: unknown) => void;
}

/** A change recorded through {@link SyncLog.record}. */
export interface RecordedChange {
  readonly path: string;
  readonly removed?: boolean;
  readonly collection?: boolean;
  readonly etag?: string;
}

/** Options of {@link SyncLog.recentChanges}. */
export interface RecentChangesOptions {
  /** At most this many changes (a positive integer). Default 20. */
  readonly limit?: number;
  /** Direct members only (`1`, the default) or all descendants. */
  readonly level?: SyncLevel;
}

/** One entry of {@link SyncLog.recentChanges}: the latest state of a path. */
export interface RecentChange {
  readonly type: 'changed' | 'removed';
  readonly path: string;
  readonly collection: boolean;
  /** ETag of a changed member (`''` for a removal). */
  readonly etag: string;
  /** Journal revision at which the path got this state. */
  readonly revision: number;
}

/** What {@link SyncLog.recentChanges} returns. */
export interface RecentChanges {
  /** The collection's sync token as of these changes (what `currentToken` said then). */
  readonly token: string;
  /** Newest first; each path at most once, with its latest state. */
  readonly changes: readonly RecentChange[];
}

const END = Number.MAX_SAFE_INTEGER;

/**
 * @example
 * const log = new SyncLog();
 * const stop = log.onChange(({ collections }) => push.notify(collections));
 * await log.record([{ path: '/books/a', collection: true }, { path: '/books/a/1.vcf', etag: 'e1' }]);
 * const { token, changes } = await log.changes('/books/a', null, { level: 1 });
 */
export class SyncLog {
  readonly journal: JournalStore;
  /** Who lost read access to what, and when (see `revocations.ts`). */
  readonly revocations: RevocationLog;
  private readonly settings: DeltaSettings;
  private readonly retention: RetentionPolicy;
  private readonly now: () => number;
  private readonly lock: PathLock;
  private readonly events: ChangeEvents;

  constructor(options: SyncLogOptions = {}) {
    const o = parseOptions(optionsSchema, options, 'sync log');
    this.now = o.now ?? Date.now;
    this.journal = o.journal ?? new MemoryJournal({ now: this.now });
    this.revocations = o.revocations ?? new MemoryRevocationLog();
    this.retention = retentionSchema.parse(o.retention ?? {});
    this.settings = {
      ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
      ...(o.unsyncable === undefined ? {} : { unsyncable: o.unsyncable }),
      revocations: this.revocations,
    };
    this.lock = o.lock ?? new PathLock();
    this.events = new ChangeEvents(o.onError ?? ((err: unknown) => console.error('davsync: a change listener failed', err)));
  }

  // ---- deltas and tokens ---------------------------------------------------

  /**
   * Validates a sync request and returns a cursor streaming its changes
   * (RFC 6578 §3). Validation errors are thrown here, before anything is
   * sent. With `access`, the changes are those that user may see.
   */
  openChanges(collection: string, token: string | null, options: DeltaOptions): Promise<DeltaCursor> {
    return planDelta(this.journal, normalizePath(collection), token, options, this.settings);
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

  /** RFC 6578 §5: true when `token` is the collection's current token (nothing changed since). */
  async isCurrentToken(collection: string, token: string): Promise<boolean> {
    return (await this.currentToken(collection)) === token;
  }

  /**
   * The most recent changes in a collection's scope, newest first: for
   * people (a log, an HTML index), not for syncing (use `changes` with a
   * token). Each path appears once, with its latest state; removals are
   * shown as long as their tombstones are retained; changes from before this
   * incarnation of the collection are not shown. `undefined` when
   * `collection` is not a collection the journal knows.
   *
   * Cost: the journal is scanned backwards in windows of revisions doubling
   * in width; memory is O(limit) and the entries read are at most those in
   * about twice the revision span holding the `limit` newest ones (see
   * `recent.ts`).
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

  // ---- recording -------------------------------------------------------------

  /**
   * Records changes the host made itself (wrap mode, database triggers), in
   * order, one commit each. A removed collection takes its recorded members
   * with it. Returns the number of journal entries committed.
   */
  async record(changes: readonly RecordedChange[]): Promise<number> {
    let count = 0;
    for (const c of changes) {
      const path = normalizePath(c.path);
      count += await this.lock.run([path], async () => {
        const entries: JournalChange[] = c.removed
          ? await removalChanges(path, c.collection ?? false, this.journal)
          : [{ path, removed: false, collection: c.collection ?? false, etag: c.etag ?? '' }];
        await this.commit(entries);
        return entries.length;
      });
    }
    return count;
  }

  /**
   * Records what differs between `tree` and the journal under `path` (a
   * store changed behind davsync's back, a host's listing being adopted),
   * under the tree lock. Costs a walk of that subtree. Returns the number of
   * changes recorded.
   */
  reconcile(path: string, tree: TreeReader): Promise<number> {
    const p = normalizePath(path);
    return this.lock.run([p], async () => {
      const changes = await reconcileChanges(p, this.journal, tree);
      await this.commit(changes);
      return changes.length;
    });
  }

  /**
   * Commits journal entries exactly as given, as one commit, then compacts
   * if any is a removal (tombstones are what retention drops) and tells the
   * listeners. The caller holds the tree lock over what it read to derive
   * them (`SyncEngine`'s mutations do).
   */
  async commit(changes: readonly JournalChange[]): Promise<void> {
    if (changes.length === 0) return;
    const revision = await this.journal.commit(changes);
    this.events.emit(revision, changes);
    if (changes.some((c) => c.removed)) await this.compact();
  }

  /**
   * Tells the log about a commit a self-journaling store made itself, in its
   * own transaction: compacts after a removal and tells the listeners (with
   * the journal's head as the revision, read only when someone listens).
   */
  async committedByStore(paths: readonly string[], removes: boolean): Promise<void> {
    if (this.events.active) {
      const head = await this.journal.collection(ROOT);
      this.events.emit(head?.currentRevision ?? 0, paths.map((path) => ({ path })));
    }
    if (removes) await this.compact();
  }

  /**
   * Calls `listener` after every commit with its revision, paths and the
   * collections whose token may have changed: mutations through an engine,
   * `record`, `reconcile` (`refresh`, adoption), grants and revocations.
   * Returns the function that stops it. Commits made by other processes on
   * a shared journal are not seen.
   *
   * @example
   * const stop = log.onChange(({ collections }) => { for (const c of collections) push.tokenChanged(c); });
   */
  onChange(listener: SyncLogListener): () => void {
    return this.events.subscribe(listener);
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
   * await log.grantAccess(['/projects/apollo']);
   */
  grantAccess(paths: readonly string[]): Promise<number> {
    const ps = paths.map(normalizePath);
    return this.lock.run(ps, async () => {
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
   * changed, so the access check already answers with the new rights.
   * Cost: one journal entry per member below `paths`, and one revocation
   * record per user and member. Returns the number of members.
   *
   * @example
   * acl.revoke('bob', '/projects/apollo');
   * await log.revokeAccess(['bob'], ['/projects/apollo']);
   */
  revokeAccess(users: readonly string[], paths: readonly string[]): Promise<number> {
    const ps = paths.map(normalizePath);
    return this.lock.run(ps, async () => {
      const changes = await this.liveSubtrees(ps);
      if (changes.length === 0) return 0;
      const revision = await this.journal.commit(changes);
      // Every entry of that commit has a revision <= `revision` and > any
      // token issued before it, so one revision serves them all. Recorded
      // before the listeners hear of it, so a client they prompt sees it.
      await this.revocations.record(users, changes.map((c) => c.path), revision);
      this.events.emit(revision, changes);
      return changes.length;
    });
  }

  // ---- retention and life cycle --------------------------------------------

  /** Prunes history past the retention policy now; returns tombstones dropped. */
  compact(): Promise<number> {
    return this.journal.prune(pruneRule(this.retention, this.now()));
  }

  /** Closes the journal. */
  async close(): Promise<void> {
    await this.journal.close?.();
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
}
