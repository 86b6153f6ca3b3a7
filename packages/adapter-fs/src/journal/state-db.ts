/**
 * The state database: one SQLite file beside the served tree (by default
 * `<root>/.davsync/state.db`) holding the change journal, the dead
 * properties, the continued file IDs, the read-access revocations and the WebDAV locks. It is opened once per store, in WAL mode with
 * `synchronous = FULL`, so a commit that has returned survives `kill -9` and
 * power loss, and readers never block the writer.
 *
 * The schema carries a version in `PRAGMA user_version`; opening runs the
 * migrations from the file's version to {@link STATE_DB_VERSION} in one
 * transaction, and refuses a file written by a newer davsync rather than
 * guessing at a schema it does not know.
 */
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DavError, newIncarnation } from '@davsync/core/base';

/** The schema version this build writes and understands. */
export const STATE_DB_VERSION = 5;

/** Options of {@link openStateDb}. */
export interface StateDbOptions {
  /**
   * How long a statement waits for a lock held by another connection to the
   * same file (another process) before failing, in milliseconds. Default 5000.
   */
  readonly busyTimeoutMs?: number;
}

/** The better-sqlite3 connection type, re-exported so callers need not import the driver. */
export type StateDatabase = Database.Database;

/**
 * Migration `i` takes a database from version `i` to `i + 1`. Append only:
 * a released step is never edited, since files in the field already ran it.
 */
const MIGRATIONS: ReadonlyArray<(db: StateDatabase) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY NOT NULL,
        value ANY
      ) STRICT, WITHOUT ROWID;

      -- The latest entry per path. The revision is the rowid: it is unique,
      -- a scope row finds its entry by it in one B-tree step, and an
      -- update moves the row to its new revision.
      CREATE TABLE entries (
        revision INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        parent TEXT NOT NULL,
        removed INTEGER NOT NULL CHECK (removed IN (0, 1)),
        collection INTEGER NOT NULL CHECK (collection IN (0, 1)),
        etag TEXT NOT NULL,
        incarnation TEXT,
        created_revision INTEGER,
        removed_at INTEGER
      ) STRICT;
      -- Level 1: a collection's direct members in revision order.
      CREATE INDEX entries_by_parent ON entries (parent, revision);
      -- Pruning: tombstones oldest first, without walking live entries.
      CREATE INDEX entries_tombstones ON entries (revision) WHERE removed = 1;

      -- Level infinite: one row per (proper ancestor, revision) of every
      -- entry, so a subtree's entries in revision order are one range.
      CREATE TABLE scopes (
        ancestor TEXT NOT NULL,
        revision INTEGER NOT NULL,
        PRIMARY KEY (ancestor, revision)
      ) STRICT, WITHOUT ROWID;

      -- Retention horizons per collection path, raised by pruning.
      CREATE TABLE horizons (
        path TEXT PRIMARY KEY NOT NULL,
        direct INTEGER NOT NULL DEFAULT 0,
        deeper INTEGER NOT NULL DEFAULT 0
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE properties (
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (path, name)
      ) STRICT, WITHOUT ROWID;
    `);
    const seed = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    seed.run('head', 0);
    seed.run('tombstones', 0);
    seed.run('root_incarnation', newIncarnation());
  },
  // 2: read-access revocations per user (SyncEngine.revokeAccess).
  (db) => {
    db.exec(`
      CREATE TABLE revocations (
        user TEXT NOT NULL,
        path TEXT NOT NULL,
        revision INTEGER NOT NULL,
        PRIMARY KEY (user, path)
      ) STRICT, WITHOUT ROWID;
    `);
  },
  // 3: WebDAV locks (SqliteLockStore). A rowid table, not WITHOUT ROWID:
  // an owner may be kilobytes of XML, too large for a clustered row.
  (db) => {
    db.exec(`
      CREATE TABLE locks (
        token TEXT NOT NULL UNIQUE,
        root TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('exclusive', 'shared')),
        depth TEXT NOT NULL CHECK (depth IN ('0', 'infinity')),
        owner TEXT,
        principal TEXT,
        timeout INTEGER NOT NULL,
        expires INTEGER NOT NULL
      ) STRICT;
      -- The check every write makes: the locks rooted at the path and at each
      -- ancestor, one seek each; and a subtree's locks, one range.
      CREATE INDEX locks_by_root ON locks (root);
      -- Purging expired locks without reading live ones.
      CREATE INDEX locks_by_expiry ON locks (expires);
    `);
  },
  // 4: continued file IDs of overwritten files (SqliteFileIdTable, file-ids.ts),
  // by parent so a listing reads one folder's rows in one range.
  (db) => {
    db.exec(`
      CREATE TABLE file_ids (
        path TEXT PRIMARY KEY NOT NULL,
        parent TEXT NOT NULL,
        id TEXT NOT NULL,
        bound_to TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX file_ids_by_parent ON file_ids (parent);
    `);
  },
  // 5: WebDAV-Push registrations (SqlitePushRegistrationStore). One per push
  // resource and collection (the UNIQUE index, also the lookup a change
  // makes by collection); delivery bookkeeping in the same row.
  (db) => {
    db.exec(`
      CREATE TABLE push_registrations (
        id TEXT NOT NULL PRIMARY KEY,
        collection TEXT NOT NULL,
        push_resource TEXT NOT NULL,
        user TEXT,
        public_key TEXT NOT NULL,
        auth_secret TEXT NOT NULL,
        content_depth TEXT CHECK (content_depth IN ('0', '1', 'infinity')),
        property_depth TEXT CHECK (property_depth IN ('0', '1', 'infinity')),
        created INTEGER NOT NULL,
        expires INTEGER NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_at INTEGER,
        last_ok INTEGER,
        last_status INTEGER,
        last_error TEXT,
        UNIQUE (collection, push_resource)
      ) STRICT;
      CREATE INDEX push_registrations_by_expiry ON push_registrations (expires);
      CREATE INDEX push_registrations_by_user ON push_registrations (user, collection);
    `);
  },
];

/**
 * Opens (creating it and its directory if needed) the state database at
 * `file` and brings its schema up to date. The caller owns the connection:
 * `SqliteJournal.close()` closes it, or call `close()` on it directly.
 *
 * Throws `DavError('unavailable')` when the file cannot be opened, is not a
 * SQLite database, cannot use WAL, or was written by a newer davsync.
 *
 * @example
 * const db = openStateDb(path.join(root, '.davsync', 'state.db'));
 * const journal = new SqliteJournal(db);
 * const properties = new SqlitePropertyTable(db);
 */
export function openStateDb(file: string, options: StateDbOptions = {}): StateDatabase {
  const path = resolve(file);
  let db: StateDatabase | undefined;
  try {
    const created = mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    configure(db, path);
    migrate(db, path);
    // A new file (and any directory made for it) must survive power loss
    // too: its name lives in the parent directory, which SQLite does not sync.
    syncDirectories(path, created);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof DavError) throw err;
    throw withCause(new DavError('unavailable', `cannot open the state database ${path}: ${messageOf(err)}`), err);
  }
}

function configure(db: StateDatabase, path: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new DavError('unavailable', `the state database ${path} cannot use WAL mode (got ${String(mode)}); is it on a network file system?`);
  }
  // FULL: every commit syncs the WAL, so an acknowledged change is on disk.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

function migrate(db: StateDatabase, path: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const run = db.transaction(() => {
    // Read again inside the write lock: another process may have migrated
    // the file between our first look and the lock.
    const from = version();
    if (from > STATE_DB_VERSION) throw newerSchema(path, from);
    for (let v = from; v < STATE_DB_VERSION; v++) {
      (MIGRATIONS[v] as (db: StateDatabase) => void)(db);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  const seen = version();
  if (seen > STATE_DB_VERSION) throw newerSchema(path, seen);
  if (seen < STATE_DB_VERSION) run.immediate();
}

function newerSchema(path: string, version: number): DavError {
  return new DavError(
    'unavailable',
    `the state database ${path} has schema version ${version}, newer than the ${STATE_DB_VERSION} this davsync understands; ` +
      'upgrade davsync (or restore a backup made before the upgrade)',
  );
}

/** fsyncs the database's directory and every directory `mkdir` just made, up to the first pre-existing one. */
function syncDirectories(file: string, firstCreated: string | undefined): void {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const dirs = [dirname(file)];
  if (firstCreated !== undefined) {
    for (let d = dirname(file); d !== dirname(firstCreated) && d !== dirname(d); d = dirname(d)) dirs.push(dirname(d));
  }
  for (const d of new Set(dirs)) {
    const fd = openSync(d, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** SQLite result codes that mean the database, not the request, is at fault. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|PERM|AUTH)/;

/**
 * Turns a driver error into what a client should see: `insufficient-storage`
 * when the disk is full, `unavailable` when the database cannot be used
 * (locked by another process past the busy timeout, I/O error, corrupt,
 * closed). Anything else is a bug and is returned unchanged.
 */
export function stateDbError(err: unknown, action: string): unknown {
  if (err instanceof DavError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL') return withCause(new DavError('insufficient-storage', `the state database is full while ${action}`), err);
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return withCause(new DavError('unavailable', `the state database failed while ${action} (${code})`), err);
  }
  if (err instanceof TypeError && /connection is not open/.test(err.message)) return closedError(action);
  return err;
}

/** The error for a call on a closed connection. */
/**
 * Runs `fn` (one transaction) without waiting for the disk at its commit
 * (`synchronous = NORMAL` for its length): the commit is in the WAL but not
 * yet fsynced. Only for a write's own metadata (its file ID, checksums,
 * content type) written just before the write's journal entry: that entry
 * is committed with `synchronous = FULL` before the write is acknowledged,
 * and its fsync of the shared WAL carries every frame before it, these
 * included. A crash before it loses both, and the start-up reconcile sees
 * the file as changed by another program (new ID, hashed again). Saves an
 * fsync on the event loop per PUT, which stalled every other request
 * (ext4 also queues file creation behind each journal commit).
 */
export function commitUnsynced<T>(db: StateDatabase, fn: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

export function closedError(action: string): DavError {
  return new DavError('unavailable', `the state database is closed (while ${action})`);
}

function withCause(error: DavError, cause: unknown): DavError {
  (error as Error).cause = cause;
  return error;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `fn` against an open state database, turning driver failures into
 * the `DavError`s a client may see (`unavailable`, `insufficient-storage`).
 */
export function withStateDb<T>(db: StateDatabase, action: string, fn: () => T): T {
  if (!db.open) throw closedError(action);
  try {
    return fn();
  } catch (err) {
    throw stateDbError(err, action);
  }
}
