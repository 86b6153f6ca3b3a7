/**
 * The durable change journal: `JournalStore` over the state database, with
 * exactly `MemoryJournal`'s semantics (the conformance suite
 * `defineJournalSuite` runs both, and compares them on random histories).
 *
 * Layout (see `state-db.ts`): `entries` holds the latest entry per path with
 * its revision as the rowid; level 1 scans the `(parent, revision)` index;
 * level infinite scans `scopes`, a closure table with one `(ancestor,
 * revision)` row per proper ancestor of each entry, so a subtree's entries
 * in revision order are one index range and a quiet collection never walks a
 * busy sibling's rows. When an entry moves to a new revision its scope rows
 * move with it, so neither index ever holds a stale item.
 *
 * Visibility in commit order holds trivially: the head revision is read and
 * advanced inside the commit's write transaction (`BEGIN IMMEDIATE`), and
 * better-sqlite3 runs each transaction synchronously to its end on the one
 * connection, so no reader can observe revision 12 before revision 11 is
 * committed. Even another process on the same file would wait for the write
 * lock before reading the head.
 */
import { ancestorsOf, checkJournalChange, newIncarnation, parentOf, ROOT } from '@davsync/core/base';
import type { CollectionState, JournalChange, JournalEntry, JournalStore, PruneRule, SyncLevel } from '@davsync/core/base';
import { openStateDb, withStateDb, type StateDatabase, type StateDbOptions } from './state-db';

/** Entries per scan batch: one `LIMIT` page of an index range. */
const BATCH = 512;
/** Tombstones read per step of a large prune. */
const PRUNE_BATCH = 512;

/**
 * Where a journal's writes run when not on its own connection: the fs store
 * gives each journal a writer thread (`JournalWriterThread`), so that a
 * commit's fsync never blocks the event loop.
 */
export interface JournalWrites {
  commit(changes: readonly JournalChange[]): Promise<number>;
  prune(rule: PruneRule): Promise<number>;
  /** Called by the journal's `close`, before it closes its own connection. */
  close?(): Promise<void>;
}

/** Options of {@link SqliteJournal}. */
export interface SqliteJournalOptions {
  /** Clock for tombstone ages (ms since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /**
   * Run `commit` and `prune` there instead of on this connection (which then
   * only reads). The writer must use the same database file.
   */
  readonly writes?: JournalWrites;
}

/** One change list's outcome in {@link SqliteJournal.commitGroup}. */
export type GroupOutcome = { readonly revision: number } | { readonly error: unknown };

interface EntryRow {
  readonly revision: number;
  readonly path: string;
  readonly removed: 0 | 1;
  readonly collection: 0 | 1;
  readonly etag: string;
}

interface StateRow extends EntryRow {
  readonly incarnation: string | null;
  readonly createdRevision: number | null;
}

interface TombstoneRow {
  readonly revision: number;
  readonly path: string;
  readonly removedAt: number;
}

/** Every statement the journal runs, prepared once per connection. */
function prepare(db: StateDatabase) {
  const entryColumns = 'revision, path, removed, collection, etag';
  return {
    meta: db.prepare<[string], number | string>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE key = ?'),
    entry: db.prepare<[string], StateRow>(
      `SELECT ${entryColumns}, incarnation, created_revision AS createdRevision FROM entries WHERE path = ?`,
    ),
    insertEntry: db.prepare<[number, string, string, number, number, string, string | null, number | null, number | null]>(
      `INSERT INTO entries (revision, path, parent, removed, collection, etag, incarnation, created_revision, removed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateEntry: db.prepare<[number, number, number, string, string | null, number | null, number | null, number]>(
      `UPDATE entries SET revision = ?, removed = ?, collection = ?, etag = ?, incarnation = ?, created_revision = ?, removed_at = ?
       WHERE revision = ?`,
    ),
    deleteEntry: db.prepare<[number]>('DELETE FROM entries WHERE revision = ?'),
    insertScope: db.prepare<[string, number]>('INSERT INTO scopes (ancestor, revision) VALUES (?, ?)'),
    moveScope: db.prepare<[number, string, number]>('UPDATE scopes SET revision = ? WHERE ancestor = ? AND revision = ?'),
    deleteScope: db.prepare<[string, number]>('DELETE FROM scopes WHERE ancestor = ? AND revision = ?'),
    scanDirect: db.prepare<[string, number, number, number], EntryRow>(
      `SELECT ${entryColumns} FROM entries
       WHERE parent = ? AND revision > ? AND revision <= ? ORDER BY revision LIMIT ?`,
    ),
    scanDeep: db.prepare<[string, number, number, number], EntryRow>(
      `SELECT e.revision, e.path, e.removed, e.collection, e.etag FROM scopes s JOIN entries e ON e.revision = s.revision
       WHERE s.ancestor = ? AND s.revision > ? AND s.revision <= ? ORDER BY s.revision LIMIT ?`,
    ),
    lastInScope: db.prepare<[string], number>('SELECT revision FROM scopes WHERE ancestor = ? ORDER BY revision DESC LIMIT 1').pluck(),
    horizon: db.prepare<[string], { direct: number; deeper: number }>('SELECT direct, deeper FROM horizons WHERE path = ?'),
    raiseDirect: db.prepare<[string, number]>(
      'INSERT INTO horizons (path, direct) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET direct = max(direct, excluded.direct)',
    ),
    raiseDeeper: db.prepare<[string, number]>(
      'INSERT INTO horizons (path, deeper) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET deeper = max(deeper, excluded.deeper)',
    ),
    oldestTombstones: db.prepare<[number], TombstoneRow>(
      `SELECT revision, path, removed_at AS removedAt FROM entries INDEXED BY entries_tombstones
       WHERE removed = 1 ORDER BY revision LIMIT ?`,
    ),
  };
}

/**
 * A `JournalStore` in the SQLite state database. Each call is one
 * synchronous transaction on the store's connection; a scan is a sequence of
 * `LIMIT` pages over an index, so it never loads a whole collection and
 * commits may run between its batches (an entry rewritten meanwhile moves
 * past the scan's `through` and is not yielded; none is yielded twice).
 *
 * Errors: `unavailable` when the database is closed, locked past its busy
 * timeout or failing, `insufficient-storage` when the disk is full,
 * `bad-request` for a change `checkJournalChange` refuses.
 *
 * @example
 * const journal = SqliteJournal.open(path.join(root, '.davsync', 'state.db'));
 * const engine = new SyncEngine({ adapter, journal });
 */
export class SqliteJournal implements JournalStore {
  readonly #db: StateDatabase;
  readonly #now: () => number;
  readonly #s: ReturnType<typeof prepare>;
  readonly #commit: (changes: readonly JournalChange[]) => number;
  readonly #prune: (rule: PruneRule) => number;
  readonly #collection: (path: string) => CollectionState | undefined;
  readonly #group: (lists: readonly (readonly JournalChange[])[]) => GroupOutcome[];
  readonly #writes: JournalWrites | undefined;

  /** Opens (or creates) the state database at `file` and a journal over it; `close()` closes the file. */
  static open(file: string, options: SqliteJournalOptions & StateDbOptions = {}): SqliteJournal {
    return new SqliteJournal(openStateDb(file, options), options);
  }

  /**
   * A journal over an open state database (from {@link openStateDb}). The
   * connection may be shared with a `SqlitePropertyTable`; `close()` closes it.
   */
  constructor(db: StateDatabase, options: SqliteJournalOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#s = prepare(db);
    const commit = db.transaction((changes: readonly JournalChange[]) => this.#commitNow(changes));
    const prune = db.transaction((rule: PruneRule) => this.#pruneNow(rule));
    // A read transaction, so the entry, horizons and scope maximum come from
    // one snapshot even if another process writes the file.
    const collection = db.transaction((path: string) => this.#collectionNow(path));
    this.#commit = (changes) => commit.immediate(changes);
    this.#prune = (rule) => prune.immediate(rule);
    this.#collection = (path) => collection.deferred(path);
    // Inside the outer transaction each list is a savepoint: a refused list
    // rolls back alone, the others commit together.
    const group = db.transaction((lists: readonly (readonly JournalChange[])[]) =>
      lists.map((changes): GroupOutcome => {
        try {
          return { revision: commit(changes) };
        } catch (error) {
          return { error };
        }
      }),
    );
    this.#group = (lists) => group.immediate(lists);
    this.#writes = options.writes;
  }

  async commit(changes: readonly JournalChange[]): Promise<number> {
    if (this.#writes !== undefined) return this.#writes.commit(changes);
    return this.#guard('committing changes', () => this.#commit(changes));
  }

  /**
   * Commits several independent change lists in one transaction (one fsync),
   * in order, each all or nothing: the group commit of the writer thread.
   * Synchronous, on this connection.
   */
  commitGroup(lists: readonly (readonly JournalChange[])[]): GroupOutcome[] {
    return this.#guard('committing changes', () => this.#group(lists));
  }

  async get(path: string): Promise<JournalEntry | undefined> {
    return this.#guard('reading an entry', () => {
      const row = this.#s.entry.get(path);
      return row === undefined ? undefined : toEntry(row);
    });
  }

  async collection(path: string): Promise<CollectionState | undefined> {
    return this.#guard('reading a collection', () => this.#collection(path));
  }

  async *scan(collection: string, level: SyncLevel, after: number, through: number): AsyncIterable<readonly JournalEntry[]> {
    const page = level === 1 ? this.#s.scanDirect : this.#s.scanDeep;
    let from = after;
    for (;;) {
      const rows = this.#guard('scanning', () => page.all(collection, from, through, BATCH));
      if (rows.length > 0) yield rows.map(toEntry);
      if (rows.length < BATCH) return;
      // Resume after the last revision sent: revisions only grow, so rows
      // committed meanwhile land past `through` and are never seen twice.
      from = (rows[rows.length - 1] as EntryRow).revision;
    }
  }

  async prune(rule: PruneRule): Promise<number> {
    if (this.#writes !== undefined) return this.#writes.prune(rule);
    return this.#guard('pruning', () => this.#prune(rule));
  }

  /** `prune`, synchronously on this connection (for the writer thread). */
  pruneNow(rule: PruneRule): number {
    return this.#guard('pruning', () => this.#prune(rule));
  }

  async tombstoneCount(): Promise<number> {
    return this.#guard('counting tombstones', () => this.#meta('tombstones') as number);
  }

  /** Closes the writer (when there is one) and the state database (and so any `SqlitePropertyTable` sharing it). Idempotent. */
  async close(): Promise<void> {
    await this.#writes?.close?.();
    if (this.#db.open) this.#db.close();
  }

  // ---- inside transactions -------------------------------------------------

  #commitNow(changes: readonly JournalChange[]): number {
    const s = this.#s;
    const time = this.#now();
    let head = this.#meta('head') as number;
    let tombstones = this.#meta('tombstones') as number;
    for (const change of changes) {
      // Checked one by one inside the transaction, so a refused change
      // rolls back the ones written before it: the batch is all or nothing.
      checkJournalChange(change);
      if (change.path === ROOT) continue; // the root is no one's member
      const revision = ++head;
      const old = s.entry.get(change.path);
      const wasLiveCollection = old !== undefined && old.removed === 0 && old.collection === 1;
      const liveCollection = !change.removed && change.collection;
      // A collection gets a new incarnation whenever it comes into existence here.
      const incarnation = liveCollection ? (wasLiveCollection ? old.incarnation : null) ?? newIncarnation() : null;
      const created = liveCollection ? (wasLiveCollection ? old.createdRevision : null) ?? revision : null;
      const removed = change.removed ? 1 : 0;
      const collection = change.collection ? 1 : 0;
      const etag = change.removed ? '' : (change.etag ?? '');
      const removedAt = change.removed ? time : null;
      if (old === undefined) {
        s.insertEntry.run(revision, change.path, parentOf(change.path) as string, removed, collection, etag, incarnation, created, removedAt);
        for (const a of ancestorsOf(change.path)) s.insertScope.run(a, revision);
      } else {
        if (old.removed === 1) tombstones--;
        s.updateEntry.run(revision, removed, collection, etag, incarnation, created, removedAt, old.revision);
        for (const a of ancestorsOf(change.path)) s.moveScope.run(revision, a, old.revision);
      }
      if (change.removed) tombstones++;
    }
    s.setMeta.run(head, 'head');
    s.setMeta.run(tombstones, 'tombstones');
    return head;
  }

  #collectionNow(path: string): CollectionState | undefined {
    const s = this.#s;
    let incarnation: string;
    let createdRevision: number;
    if (path === ROOT) {
      incarnation = this.#meta('root_incarnation') as string;
      createdRevision = 0;
    } else {
      const row = s.entry.get(path);
      if (row === undefined || row.removed === 1 || row.collection === 0) return undefined;
      incarnation = row.incarnation as string;
      createdRevision = row.createdRevision as number;
    }
    const h = s.horizon.get(path);
    const direct = h?.direct ?? 0;
    const deep = Math.max(direct, h?.deeper ?? 0);
    // Scope rows cover direct members too, so one descending seek finds the
    // highest revision in the subtree; pruned ones are covered by the horizons.
    const currentRevision = Math.max(createdRevision, deep, s.lastInScope.get(path) ?? 0);
    return { incarnation, createdRevision, currentRevision, horizon: { direct, deep } };
  }

  /** MemoryJournal's rule: walk tombstones oldest first; stop at the first one that is within both limits. */
  #pruneNow(rule: PruneRule): number {
    const s = this.#s;
    const max = rule.maxTombstones ?? Infinity;
    const before = rule.removedBefore ?? -Infinity;
    let count = this.#meta('tombstones') as number;
    let dropped = 0;
    // The first page is sized to what the count rule will drop, so the
    // usual prune after each removal reads one row.
    let limit = Math.min(PRUNE_BATCH, Math.max(1, count - max));
    walk: while (count > max || before > -Infinity) {
      const rows = s.oldestTombstones.all(limit);
      for (const row of rows) {
        if (count <= max && row.removedAt >= before) break walk;
        this.#drop(row);
        count--;
        dropped++;
      }
      if (rows.length < limit) break;
      limit = PRUNE_BATCH;
    }
    if (dropped > 0) s.setMeta.run(count, 'tombstones');
    return dropped;
  }

  /** Forgets a tombstone, raising the horizons of the scopes it was in. */
  #drop(row: TombstoneRow): void {
    const s = this.#s;
    s.deleteEntry.run(row.revision);
    const ancestors = ancestorsOf(row.path); // parent first
    for (const a of ancestors) s.deleteScope.run(a, row.revision);
    s.raiseDirect.run(ancestors[0] as string, row.revision);
    for (let i = 1; i < ancestors.length; i++) s.raiseDeeper.run(ancestors[i] as string, row.revision);
  }

  #meta(key: 'head' | 'tombstones' | 'root_incarnation'): number | string {
    const value = this.#s.meta.get(key);
    if (value === undefined) throw new Error(`davsync: the state database has no ${key}: it was not created by openStateDb`);
    return value;
  }

  #guard<T>(action: string, fn: () => T): T {
    return withStateDb(this.#db, action, fn);
  }
}

function toEntry(row: EntryRow): JournalEntry {
  return { path: row.path, revision: row.revision, removed: row.removed === 1, collection: row.collection === 1, etag: row.etag };
}
