/**
 * The client's memory, in `DIR/.davsync-client/state.db` (SQLite, WAL,
 * `synchronous = FULL`: a commit that returned survives kill -9); its
 * tables (`remote`, `synced`, `meta`, `names`, `pending`) are described in
 * `schema.ts`.
 *
 * The database is opened in exclusive locking mode: one pass at a time per folder.
 *
 * The local tree is not stored: it is scanned each pass, and compared with
 * `synced` by identity, so unchanged files are never read.
 *
 * The executor updates `synced` after each completed action — a transfer's
 * with its group, in one transaction per group: a pass killed midway
 * resumes where it stopped and does not fetch again what it already has.
 */
import Database from 'better-sqlite3';
import type { FeedCursor, FullListing } from '../remote/change-feed';
import type { EntryKind, RemoteChange, RemoteEntry } from '../remote/remote-entry';
import { parentOf, within, type SyncedEntry } from '../sync/entries';
import { DeltaUploadLog } from './delta-uploads';
import {
  REMOTE_COLUMNS,
  SCHEMA,
  SCHEMA_VERSION,
  REMOTE_EQUALS_SYNCED,
  TRACK_WRITES,
  SYNCED_COLUMNS,
  UPGRADE_1_TO_2,
  remoteEntry,
  remoteRow,
  syncedEntry,
  type RemoteRaw,
  type RemoteRow,
  type SyncedRaw,
  type SyncedRow,
} from './schema';

export class SyncState {
  private readonly db: Database.Database;
  private deltaLog: DeltaUploadLog | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Whether `temp.touched` lists every path written in `remote` or `synced` since this connection
   * opened — set up only when the agreement was remembered then, so that the differences can be
   * only at those paths (`remoteDifferences`).
   */
  private tracking = false;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  /**
   * Opens (creating) the state database for `url`.
   *
   * @throws Error when the state belongs to another remote URL: syncing a
   *   folder against a second server with the first one's state would read
   *   every difference as a deletion.
   */
  static open(file: string, url: string): SyncState {
    const db = new Database(file, { timeout: 1000 });
    try {
      // Held until close: a second \`davsync sync\` on the same folder stops here instead of
      // interleaving its actions with ours (set before WAL, so no shared memory is used either).
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const get = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      if (hasMeta && get('schema') === '1') db.transaction(() => db.exec(UPGRADE_1_TO_2))();
      db.exec(SCHEMA);
      const version = get('schema');
      if (version !== undefined && version !== '1' && version !== SCHEMA_VERSION) throw new Error(`davsync: ${file} has state format ${version}; this davsync reads ${SCHEMA_VERSION}`);
      const stored = get('url');
      if (stored !== undefined && stored !== url) {
        throw new Error(`davsync: this folder is synced with ${stored}, not ${url}; remove its .davsync-client folder to start over with another server`);
      }
      // Written only when new: a pass with nothing to do writes nothing (no fsync).
      if (version !== SCHEMA_VERSION || stored !== url) db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('schema', SCHEMA_VERSION, 'url', url);
    } catch (err) {
      db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw new Error(`davsync: another davsync sync is running on this folder (${file} is locked)`);
      throw err;
    }
    const state = new SyncState(db);
    state.tracking = state.agreementRemembered() && state.trackWrites();
    return state;
  }

  /** Notes the paths written from now on ({@link TRACK_WRITES}); `remoteDifferences` reads them. */
  private trackWrites(): boolean {
    for (const sql of TRACK_WRITES) this.db.exec(sql);
    return true;
  }

  close(): void {
    this.db.close();
  }

  /** The PATCH chains under way (`delta-uploads.ts`). */
  deltaUploads(): DeltaUploadLog {
    this.deltaLog ??= new DeltaUploadLog(this.db);
    return this.deltaLog;
  }

  cursor(): FeedCursor | undefined {
    const json = this.cursorJson();
    return json === undefined ? undefined : (JSON.parse(json) as FeedCursor);
  }

  private cursorJson(): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'cursor'").get() as { value: string } | undefined)?.value;
  }

  /** Forgets the cursor: the next feed lists everything (a refused token, or a remote root that came back). */
  clearCursor(): void {
    this.db.prepare("DELETE FROM meta WHERE key = 'cursor'").run();
  }

  /** (href segment, local name) pairs of mapped members (see `remote/member-names.ts`). */
  memberNames(): [string, string][] {
    return (this.db.prepare('SELECT segment, path FROM names').all() as { segment: string; path: string }[]).map((r) => [r.segment, r.path]);
  }

  addMemberName(segment: string, path: string): void {
    this.db.prepare('INSERT OR REPLACE INTO names (segment, path) VALUES (?, ?)').run(segment, path);
  }

  // The two whole-table reads of every pass: rows as arrays (\`raw\`), not objects, which
  // halves their cost at 10 000 paths (measured, docs/performance.md).
  remoteTree(): Map<string, RemoteEntry> {
    const tree = new Map<string, RemoteEntry>();
    for (const [path, kind, etag, file_id, size, modified, checksums] of this.db.prepare(`SELECT ${REMOTE_COLUMNS} FROM remote`).raw().all() as RemoteRaw[]) {
      tree.set(path, remoteEntry({ path, kind, etag, file_id, size, modified, checksums }));
    }
    return tree;
  }

  synced(): Map<string, SyncedEntry> {
    const tree = new Map<string, SyncedEntry>();
    for (const [path, kind, etag, file_id, size, mtime_ns, ino, sha1] of this.db.prepare(`SELECT ${SYNCED_COLUMNS} FROM synced`).raw().all() as SyncedRaw[]) {
      tree.set(path, syncedEntry({ path, kind, etag, file_id, size, mtime_ns, ino, sha1 }));
    }
    return tree;
  }

  /**
   * Whether the server's tree, as the feed left it, is the synced one: the
   * same paths and kinds, and for each file the same ETag where both have
   * one (`remoteChanged`'s rule: `r.etag != s.etag` is NULL, not true,
   * when either is missing). Equal counts and every remote path found in
   * `synced` make the two path sets equal (paths are keys). Answered inside
   * SQLite: no row is read into JavaScript. The root ('') is left out, as
   * the planner leaves it out.
   */
  remoteAsSynced(): boolean {
    // Remembered from a previous check, with no write to either table since (AGREED_TRIGGERS).
    if (this.statement("SELECT 1 FROM meta WHERE key = 'agreed'").get() !== undefined) return true;
    const same = this.compareRemoteWithSynced();
    // Remembered for the next pass (one small write, only when it was not known): an idle poll then skips the comparison.
    if (same) this.statement("INSERT OR REPLACE INTO meta (key, value) VALUES ('agreed', '1')").run();
    return same;
  }

  /** Whether `remoteAsSynced` would answer from memory (for tests and timings). */
  agreementRemembered(): boolean {
    return this.statement("SELECT 1 FROM meta WHERE key = 'agreed'").get() !== undefined;
  }

  private compareRemoteWithSynced(): boolean {
    const same = this.db
      .prepare(REMOTE_EQUALS_SYNCED)
      .pluck()
      .get();
    return same === 1;
  }

  /**
   * The paths where the remote table differs from the synced one, by `remoteChanged`'s rule (the
   * comparison `remoteAsSynced` makes, listing instead of stopping): a pass that plans only the
   * changed part of the trees starts from these (sync/changed-paths.ts). None when the agreement
   * is remembered; when it was remembered at open, the paths written since (a superset: every
   * path that can differ, and perhaps some that do not — which the planner finds unchanged).
   */
  remoteDifferences(): string[] {
    if (this.agreementRemembered()) return [];
    // The tables agreed when this pass opened the state: they can differ only where a row was written
    // since (the feed's paths, what the executor recorded) — read those, not a join of both tables.
    if (this.tracking) return this.statement("SELECT path FROM temp.touched WHERE path != ''").pluck().all() as string[];
    return this.statement(
      `SELECT r.path FROM remote r LEFT JOIN synced s ON s.path = r.path
         WHERE r.path != '' AND (s.path IS NULL OR s.kind != r.kind OR (r.kind = 'file' AND r.etag != s.etag))
       UNION ALL
       SELECT s.path FROM synced s WHERE s.path != '' AND NOT EXISTS (SELECT 1 FROM remote r WHERE r.path = s.path)`,
    )
      .pluck()
      .all() as string[];
  }

  /** The synced rows at and below `path` (a key range: a seek, not a scan). */
  syncedUnder(path: string): SyncedEntry[] {
    const rows = this.statement(`SELECT ${SYNCED_COLUMNS} FROM synced WHERE path = ? OR (path > ? AND path < ?)`).raw().all(path, `${path}/`, `${path}0`) as SyncedRaw[];
    return rows.map(([path, kind, etag, file_id, size, mtime_ns, ino, sha1]) => syncedEntry({ path, kind, etag, file_id, size, mtime_ns, ino, sha1 }));
  }

  /** The remote rows at and below `path`. */
  remoteUnder(path: string): RemoteEntry[] {
    const rows = this.statement(`SELECT ${REMOTE_COLUMNS} FROM remote WHERE path = ? OR (path > ? AND path < ?)`).raw().all(path, `${path}/`, `${path}0`) as RemoteRaw[];
    return rows.map(([path, kind, etag, file_id, size, modified, checksums]) => remoteEntry({ path, kind, etag, file_id, size, modified, checksums }));
  }

  /** Whether either table holds `path`. */
  holds(path: string): boolean {
    return this.statement('SELECT 1 FROM synced WHERE path = ? UNION ALL SELECT 1 FROM remote WHERE path = ? LIMIT 1').get(path, path) !== undefined;
  }

  /** How many files are synced (the mass-deletion guard's denominator). */
  syncedFileCount(): number {
    return this.statement("SELECT count(*) FROM synced WHERE kind = 'file'").pluck().get() as number;
  }

  /**
   * The local identity of every synced path as one string, one record per
   * path joined by NUL (no path holds one: it could not have been synced),
   * in no particular order — `identityRecord` (sync/nothing-to-plan.ts)
   * builds the same record from a scanned entry. One row out of SQLite
   * instead of one per path. `racy`: how many rows carry a digest (an
   * identity too recent to trust).
   */
  syncedIdentities(): { count: number; racy: number; records: string } {
    const [count, racy, records] = this.db
      .prepare(
        `SELECT count(*), count(sha1), group_concat(CASE kind
             WHEN 'file' THEN 'f' || char(1) || ifnull(size, '') || char(1) || ifnull(mtime_ns, '') || char(1) || ifnull(ino, '') || char(1) || path
             ELSE kind || char(1) || path END, char(0))
           FROM synced WHERE path != ''`,
      )
      .raw()
      .get() as [number, number, string | null];
    return { count, racy, records: records ?? '' };
  }

  /**
   * The synced rows that carry a digest (identities too recent to trust): few, read before each pass
   * plans — through a partial index of just those rows, not a scan of the table (an idle pass asks too).
   */
  racySynced(): SyncedEntry[] {
    return (this.db.prepare(`SELECT ${SYNCED_COLUMNS} FROM synced WHERE sha1 IS NOT NULL`).all() as SyncedRow[]).map(syncedEntry);
  }

  /** One page of the feed, in one transaction. A removal takes the subtree with it. */
  applyRemote(changes: readonly RemoteChange[]): void {
    if (changes.length === 0) return;
    const put = this.db.prepare('INSERT OR REPLACE INTO remote (path, kind, etag, file_id, size, modified, checksums) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const c of changes) {
        if (c.type === 'removed') this.deleteSubtree('remote', c.path);
        else {
          const e = c.entry;
          // A file that became a folder (or back) takes its old members with it.
          if (e.kind === 'file') this.deleteSubtree('remote', e.path, false);
          put.run(...remoteRow(e));
        }
      }
    })();
  }

  /**
   * The feed's end: whatever a full listing did not mention is gone
   * (`seen`: every path the feed listed), and the cursor is stored — in one
   * transaction, so a feed that was cut short is simply asked again.
   */
  finishFeed(full: readonly FullListing[], seen: ReadonlySet<string>, cursor: FeedCursor): void {
    this.db.transaction(() => {
      if (full.length > 0) {
        const paths = (this.db.prepare('SELECT path FROM remote').all() as { path: string }[]).map((r) => r.path);
        for (const path of paths) {
          if (seen.has(path)) continue;
          const listed = full.some((f) => path !== f.path && (f.recursive ? within(path, f.path) : parentOf(path) === f.path));
          if (listed) this.deleteSubtree('remote', path);
        }
      }
      const value = JSON.stringify(cursor);
      // An unchanged cursor (nothing changed on the server) is not written again.
      if (value !== this.cursorJson()) this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', ?)").run(value);
    })();
  }

  /** What the executor learned of one remote path by changing it (a new ETag), or its removal. */
  setRemote(path: string, entry: RemoteEntry | undefined): void {
    if (entry === undefined) this.deleteSubtree('remote', path);
    else this.statement('INSERT OR REPLACE INTO remote (path, kind, etag, file_id, size, modified, checksums) VALUES (?, ?, ?, ?, ?, ?, ?)').run(...remoteRow({ ...entry, path }));
  }

  setSynced(entry: SyncedEntry): void {
    this.statement('INSERT OR REPLACE INTO synced (path, kind, etag, file_id, size, mtime_ns, ino, sha1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(entry.path, entry.kind, entry.etag ?? null, entry.fileId ?? null, entry.size ?? null, entry.mtimeNs ?? null, entry.ino ?? null, entry.sha1 ?? null);
  }

  pendingPaths(): string[] {
    return (this.db.prepare('SELECT path FROM pending').all() as { path: string }[]).map((r) => r.path);
  }

  /** Notes a download about to be renamed into place (see `pending` above). */
  setPending(entry: SyncedEntry): void {
    this.statement('INSERT OR REPLACE INTO pending (path, kind, etag, file_id, size, mtime_ns, ino, sha1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(entry.path, entry.kind, entry.etag ?? null, entry.fileId ?? null, entry.size ?? null, entry.mtimeNs ?? null, entry.ino ?? null, entry.sha1 ?? null);
  }

  /** The download is in place and recorded: one transaction, so no state is left between. */
  commitPending(entry: SyncedEntry): void {
    this.transaction(() => {
      this.setSynced(entry);
      this.dropPending(entry.path);
    });
  }

  /** A noted download that was not renamed into place after all (changed here meanwhile). */
  dropPending(path: string): void {
    this.statement('DELETE FROM pending WHERE path = ?').run(path);
  }

  /**
   * At the start of a pass: a pending download whose file is in place with
   * the noted identity was installed before a kill — it is synced; any other
   * pending row is dropped (the rename never happened; the temp file is gone).
   */
  resolvePending(identityOf: (path: string) => { size?: number; mtimeNs?: string; ino?: string } | undefined): number {
    const rows = (this.db.prepare('SELECT * FROM pending').all() as SyncedRow[]).map(syncedEntry);
    if (rows.length === 0) return 0; // the usual case: no write (a pass with nothing to do writes nothing)
    let adopted = 0;
    this.transaction(() => {
      for (const p of rows) {
        const now = identityOf(p.path);
        if (now !== undefined && now.size === p.size && now.mtimeNs === p.mtimeNs && now.ino === p.ino) {
          this.setSynced(p);
          adopted++;
        }
      }
      this.db.prepare('DELETE FROM pending').run();
    });
    return adopted;
  }

  /**
   * Gives synced entries that have no file ID the one the server lists at
   * the same path — a folder made by MKCOL (whose answer names no ID), a
   * file whose PUT answer had none — for a file only while its ETag is the
   * synced one (the same version). Without it a later remote move of that
   * folder would look like a deletion and a new folder.
   */
  adoptFileIds(): void {
    // Checked first with a read: the UPDATE is a write transaction even when it changes nothing.
    if (this.db.prepare('SELECT 1 FROM synced WHERE file_id IS NULL LIMIT 1').get() === undefined) return;
    this.db
      .prepare(
        `UPDATE synced SET file_id = (SELECT r.file_id FROM remote r WHERE r.path = synced.path)
         WHERE file_id IS NULL AND EXISTS (SELECT 1 FROM remote r WHERE r.path = synced.path AND r.kind = synced.kind AND r.file_id IS NOT NULL
           AND (r.kind = 'dir' OR r.etag = synced.etag))`,
      )
      .run();
  }

  /** Forgets a path and everything below it. */
  forgetSynced(path: string): void {
    this.deleteSubtree('synced', path);
  }

  /** A move: every row at or below `from`, in `table`, now at the same place below `to`. */
  move(table: 'synced' | 'remote', from: string, to: string): void {
    this.db.transaction(() => {
      this.deleteSubtree(table, to);
      this.db.prepare(`UPDATE ${table} SET path = ? || substr(path, ?) WHERE path = ? OR (path > ? AND path < ?)`).run(to, from.length + 1, from, `${from}/`, `${from}0`);
    })();
  }

  /** Runs `fn` in one transaction (the executor's per-action update of several rows). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private deleteSubtree(table: 'synced' | 'remote', path: string, self = true): void {
    if (self) this.statement(`DELETE FROM ${table} WHERE path = ?`).run(path);
    // The members are the key range 'path/' < p < 'path0' ('0' follows '/'): a seek on the primary
    // key, not a scan — this runs for every file of a feed page, and a scan made a first sync of
    // 50 000 files quadratic. A range, not LIKE: a name may hold % or _.
    this.statement(`DELETE FROM ${table} WHERE path > ? AND path < ?`).run(`${path}/`, `${path}0`);
  }

  /** A prepared statement, made once per connection (preparing costs more than running these small ones). */
  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

