/**
 * The change journal in PostgreSQL: `JournalStore` with exactly
 * `MemoryJournal`'s semantics (the conformance suite `defineJournalSuite`
 * runs it, including the differential test against `MemoryJournal`).
 *
 * Layout (see `schema.ts`): as in the SQLite journal, `entries` holds the
 * latest entry per path keyed by its revision, level 1 scans the
 * `(parent, revision)` index and level infinite scans `scopes`, a closure
 * table with one `(ancestor, revision)` row per proper ancestor of each
 * entry, so a scan costs a seek plus the entries it yields.
 *
 * Commit order: `commit_changes` locks the single `clock` row before it
 * reads the head revision, and the lock is held until the transaction
 * commits. Revisions are therefore handed out in commit order: the
 * transaction that gets revision N+1 cannot read the clock until the one
 * holding N has committed and become visible. A reader whose snapshot shows
 * N+1 thus shows N too, on every instance (docs/architecture.md).
 */
import type { Pool, PoolClient } from 'pg';
import { checkJournalChange, ROOT } from '@davsync/core';
import type { CollectionState, JournalChange, JournalEntry, JournalReader, JournalStore, PruneRule, SyncLevel } from '@davsync/core';
import { inTransaction, query, type Queryable } from './transaction';
import { quoteSchema } from './schema';

/** Entries per scan batch: one `LIMIT` page of an index range. */
const BATCH = 512;
const MAX = Number.MAX_SAFE_INTEGER;

/** Options of {@link PostgresJournal}. */
export interface PostgresJournalOptions {
  /** Connections to the database, with the schema already migrated (see `migrate`). */
  readonly pool: Pool;
  /** The PostgreSQL schema holding the tables. Default `davsync`. */
  readonly schema?: string;
  /** Clock for tombstone ages (ms since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /** End the pool on `close()`. Default false: the pool belongs to the caller. */
  readonly ownsPool?: boolean;
}

interface EntryRow {
  readonly revision: string;
  readonly path: string;
  readonly removed: boolean;
  readonly collection: boolean;
  readonly etag: string;
}

/** The statements of one schema, with its quoted name spliced in once. */
export function journalSql(s: string) {
  const columns = 'revision, path, removed, collection, etag';
  return {
    commit: `SELECT ${s}.commit_changes($1::text[], $2::boolean[], $3::boolean[], $4::text[], $5) AS head`,
    head: `SELECT revision AS head FROM ${s}.clock`,
    entry: `SELECT ${columns} FROM ${s}.entries WHERE path = $1`,
    rootState: `SELECT c.root_incarnation AS incarnation, 0 AS created, h.direct, h.deeper,
                  (SELECT revision FROM ${s}.scopes WHERE ancestor = '/' ORDER BY revision DESC LIMIT 1) AS last
                FROM ${s}.clock c LEFT JOIN ${s}.horizons h ON h.path = '/'`,
    // One statement, so the entry, horizons and scope maximum share a snapshot.
    collectionState: `SELECT e.incarnation, e.created_revision AS created, h.direct, h.deeper,
                        (SELECT revision FROM ${s}.scopes WHERE ancestor = e.path ORDER BY revision DESC LIMIT 1) AS last
                      FROM ${s}.entries e LEFT JOIN ${s}.horizons h ON h.path = e.path
                      WHERE e.path = $1 AND NOT e.removed AND e.collection`,
    scanDirect: `SELECT ${columns} FROM ${s}.entries
                 WHERE parent = $1 AND revision > $2 AND revision <= $3 ORDER BY revision LIMIT $4`,
    scanDeep: `SELECT e.revision, e.path, e.removed, e.collection, e.etag FROM ${s}.scopes sc JOIN ${s}.entries e ON e.revision = sc.revision
               WHERE sc.ancestor = $1 AND sc.revision > $2 AND sc.revision <= $3 ORDER BY sc.revision LIMIT $4`,
    pruneNeeded: `SELECT c.tombstones,
                    (SELECT removed_at FROM ${s}.entries WHERE removed ORDER BY revision LIMIT 1) AS oldest
                  FROM ${s}.clock c`,
    prune: `SELECT ${s}.prune_tombstones($1, $2) AS dropped`,
    tombstones: `SELECT tombstones FROM ${s}.clock`,
  };
}

export type JournalSql = ReturnType<typeof journalSql>;

/**
 * Records `changes` as consecutive new revisions inside the caller's
 * transaction and returns the last one (the head when there is nothing to
 * record). Every change is checked first, so a refused one records nothing.
 * This is how the adapter's mutations journal themselves: same connection,
 * same transaction as the change to the tree.
 */
export async function recordChanges(client: PoolClient, sql: JournalSql, changes: readonly JournalChange[], now: number): Promise<number> {
  for (const change of changes) checkJournalChange(change);
  const kept = changes.filter((c) => c.path !== ROOT); // the root is no one's member
  if (kept.length === 0) {
    const rows = await query<{ head: string }>(client, 'reading the head revision', { text: sql.head });
    return Number(rows[0]?.head ?? 0);
  }
  const rows = await query<{ head: string }>(client, 'committing changes', {
    text: sql.commit,
    values: [kept.map((c) => c.path), kept.map((c) => c.removed), kept.map((c) => c.collection), kept.map((c) => c.etag ?? ''), now],
  });
  return Number(rows[0]?.head);
}

/**
 * The journal as the journal rule (`journalChangesOf` in `@davsync/core`)
 * reads it, on `db`: the adapter passes its transaction's client, so what a
 * mutation records is derived from the journal as that transaction sees it.
 */
export function journalReader(db: Queryable, sql: JournalSql): JournalReader {
  return {
    get: async (path) => {
      const rows = await query<EntryRow>(db, 'reading an entry', { text: sql.entry, values: [path] });
      return rows[0] === undefined ? undefined : toEntry(rows[0]);
    },
    scan: (collection, level, after, through) => scanEntries(db, sql, collection, level, after, through),
  };
}

async function* scanEntries(db: Queryable, sql: JournalSql, collection: string, level: SyncLevel, after: number, through: number): AsyncIterable<readonly JournalEntry[]> {
  const text = level === 1 ? sql.scanDirect : sql.scanDeep;
  let from = after;
  for (;;) {
    const rows = await query<EntryRow>(db, 'scanning', { text, values: [collection, from, Math.min(through, MAX), BATCH] });
    if (rows.length > 0) yield rows.map(toEntry);
    if (rows.length < BATCH) return;
    // Resume after the last revision sent: revisions only grow, so rows
    // committed meanwhile land past `through` and are never seen twice.
    from = Number((rows[rows.length - 1] as EntryRow).revision);
  }
}

/**
 * A `JournalStore` in PostgreSQL, shared by every instance connected to the
 * same database and schema. `PostgresAdapter` owns one and records its
 * mutations in it; on its own it serves any other adapter (one instance).
 *
 * @example
 * const pool = new Pool({ connectionString });
 * await migrate(pool, 'davsync');
 * const journal = new PostgresJournal({ pool });
 */
export class PostgresJournal implements JournalStore {
  readonly #pool: Pool;
  readonly #sql: JournalSql;
  readonly #now: () => number;
  readonly #ownsPool: boolean;
  #closed = false;

  constructor(options: PostgresJournalOptions) {
    this.#pool = options.pool;
    this.#sql = journalSql(quoteSchema(options.schema ?? 'davsync'));
    this.#now = options.now ?? Date.now;
    this.#ownsPool = options.ownsPool ?? false;
  }

  /** The statements, for the adapter that shares this journal's schema. */
  get sql(): JournalSql {
    return this.#sql;
  }

  /** The clock of tombstone ages. */
  now(): number {
    return this.#now();
  }

  async commit(changes: readonly JournalChange[]): Promise<number> {
    // Checked before a connection is taken: a refused batch costs nothing.
    for (const change of changes) checkJournalChange(change);
    return inTransaction(this.#pool, 'committing changes', (client) => recordChanges(client, this.#sql, changes, this.#now()));
  }

  get(path: string): Promise<JournalEntry | undefined> {
    return journalReader(this.#pool, this.#sql).get(path);
  }

  async collection(path: string): Promise<CollectionState | undefined> {
    const rows =
      path === ROOT
        ? await query<StateRow>(this.#pool, 'reading a collection', { text: this.#sql.rootState })
        : await query<StateRow>(this.#pool, 'reading a collection', { text: this.#sql.collectionState, values: [path] });
    const row = rows[0];
    if (row === undefined) return undefined;
    const createdRevision = Number(row.created);
    const direct = Number(row.direct ?? 0);
    const deep = Math.max(direct, Number(row.deeper ?? 0));
    // Scope rows cover direct members too, so one descending seek finds the
    // highest revision in the subtree; pruned ones are covered by the horizons.
    const currentRevision = Math.max(createdRevision, deep, Number(row.last ?? 0));
    return { incarnation: row.incarnation, createdRevision, currentRevision, horizon: { direct, deep } };
  }

  scan(collection: string, level: SyncLevel, after: number, through: number): AsyncIterable<readonly JournalEntry[]> {
    return scanEntries(this.#pool, this.#sql, collection, level, after, through);
  }

  async prune(rule: PruneRule): Promise<number> {
    const max = rule.maxTombstones ?? MAX;
    const before = rule.removedBefore ?? -MAX;
    // The engine prunes after every removal; most of the time there is
    // nothing to drop, and finding that out needs no lock.
    const [state] = await query<{ tombstones: string; oldest: string | null }>(this.#pool, 'pruning', { text: this.#sql.pruneNeeded });
    if (state === undefined) return 0;
    if (Number(state.tombstones) <= max && (state.oldest === null || Number(state.oldest) >= before)) return 0;
    return inTransaction(this.#pool, 'pruning', async (client) => {
      const rows = await query<{ dropped: string }>(client, 'pruning', { text: this.#sql.prune, values: [max, before] });
      return Number(rows[0]?.dropped ?? 0);
    });
  }

  async tombstoneCount(): Promise<number> {
    const rows = await query<{ tombstones: string }>(this.#pool, 'counting tombstones', { text: this.#sql.tombstones });
    return Number(rows[0]?.tombstones ?? 0);
  }

  /** Ends the pool when this journal owns it (`ownsPool`). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }
}

interface StateRow {
  readonly incarnation: string;
  readonly created: string | number;
  readonly direct: string | null;
  readonly deeper: string | null;
  readonly last: string | null;
}

function toEntry(row: EntryRow): JournalEntry {
  return { path: row.path, revision: Number(row.revision), removed: row.removed, collection: row.collection, etag: row.etag };
}
