/**
 * The state database's tables, their upgrades, and the conversion between
 * rows and entries:
 *
 * - `remote`: the server's tree as the change feed last described it —
 *   kept up to date from deltas, so a pass asks the server only what changed;
 * - `synced`: per path, the state both sides had when it was last in sync:
 *   the remote ETag and file ID, the local size, mtime (ns) and inode, and
 *   — only while that identity is too recent to trust (see `entries.ts`,
 *   "racy") — the content's SHA-1;
 * - `meta`: the remote URL the state belongs to, and the feed cursor (sync tokens);
 * - `names`: local names of address-book or calendar members whose own
 *   names are not usable file names (see `remote/member-names.ts`);
 * - `pending`: downloads about to be renamed into place (a group of them at
 *   once, `sync/group-commit.ts`), each with the identity it will have there
 *   (a rename keeps inode, size and mtime): if a kill lands between the
 *   renames and the state update, the next pass finds each file with exactly
 *   that identity and takes it as synced instead of fetching it again.
 */
import { formatChecksums, parseChecksums, type EntryKind, type RemoteEntry } from '../remote/remote-entry';
import type { SyncedEntry } from '../sync/entries';

/** 2: the server's checksums (`remote.checksums`) and the digest of a too-recent identity (`sha1`). */
export const SCHEMA_VERSION = '2';

/**
 * `meta.agreed` says "the remote table equals the synced one" (`remoteAsSynced`), written only
 * right after that was checked. Any row written to `remote` or `synced` deletes it, by a trigger:
 * inside the same transaction as the write, so no code path can forget to, and no crash can leave
 * a stale "agreed" behind (the write and the deletion commit together or not at all).
 */
const AGREED_TRIGGERS = (['remote', 'synced'] as const)
  .flatMap((table) =>
    (['INSERT', 'UPDATE', 'DELETE'] as const).map(
      (op) => `CREATE TRIGGER IF NOT EXISTS ${table}_${op.toLowerCase()}_spoils_agreed AFTER ${op} ON ${table} BEGIN DELETE FROM meta WHERE key = 'agreed'; END;`,
    ),
  )
  .join('\n');

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS remote (
  path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, modified INTEGER, checksums TEXT);
CREATE TABLE IF NOT EXISTS synced (
  path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, mtime_ns TEXT, ino TEXT, sha1 TEXT);
CREATE TABLE IF NOT EXISTS names (segment TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS pending (
  path TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, file_id TEXT, size INTEGER, mtime_ns TEXT, ino TEXT, sha1 TEXT);
${AGREED_TRIGGERS}
CREATE INDEX IF NOT EXISTS synced_racy ON synced (path) WHERE sha1 IS NOT NULL;
`;


/** Version 1 → 2: three columns, all empty (nothing known yet is lost: an empty one means "not known"). */
export const UPGRADE_1_TO_2 = `
ALTER TABLE remote ADD COLUMN checksums TEXT;
ALTER TABLE synced ADD COLUMN sha1 TEXT;
ALTER TABLE pending ADD COLUMN sha1 TEXT;
`;

export interface RemoteRow {
  path: string;
  kind: EntryKind;
  etag: string | null;
  file_id: string | null;
  size: number | null;
  modified: number | null;
  checksums: string | null;
}
export interface SyncedRow {
  path: string;
  kind: EntryKind;
  etag: string | null;
  file_id: string | null;
  size: number | null;
  mtime_ns: string | null;
  ino: string | null;
  sha1: string | null;
}

export const REMOTE_COLUMNS = 'path, kind, etag, file_id, size, modified, checksums';
export type RemoteRaw = [string, EntryKind, string | null, string | null, number | null, number | null, string | null];
export const SYNCED_COLUMNS = 'path, kind, etag, file_id, size, mtime_ns, ino, sha1';
export type SyncedRaw = [string, EntryKind, string | null, string | null, number | null, string | null, string | null, string | null];

/**
 * Temporary triggers (this connection only; nothing is written to the database file) that note
 * the path of every row inserted, updated (both paths: a move) or deleted in `remote` or `synced`.
 */
export const TRACK_WRITES: readonly string[] = [
  'CREATE TEMP TABLE IF NOT EXISTS touched (path TEXT PRIMARY KEY) WITHOUT ROWID',
  ...['remote', 'synced'].flatMap((table) => [
    `CREATE TEMP TRIGGER IF NOT EXISTS ${table}_insert_touches AFTER INSERT ON main.${table} BEGIN INSERT OR IGNORE INTO touched VALUES (new.path); END`,
    `CREATE TEMP TRIGGER IF NOT EXISTS ${table}_update_touches AFTER UPDATE ON main.${table} BEGIN INSERT OR IGNORE INTO touched VALUES (old.path), (new.path); END`,
    `CREATE TEMP TRIGGER IF NOT EXISTS ${table}_delete_touches AFTER DELETE ON main.${table} BEGIN INSERT OR IGNORE INTO touched VALUES (old.path); END`,
  ]),
];

/** 1 when the remote table equals the synced one (see `SyncState.remoteAsSynced`). */
export const REMOTE_EQUALS_SYNCED = `SELECT (SELECT count(*) FROM remote WHERE path != '') = (SELECT count(*) FROM synced WHERE path != '')
  AND NOT EXISTS (SELECT 1 FROM remote r LEFT JOIN synced s ON s.path = r.path
    WHERE r.path != '' AND (s.path IS NULL OR s.kind != r.kind OR (r.kind = 'file' AND r.etag != s.etag)))`;

export function remoteEntry(r: RemoteRow): RemoteEntry {
  // Plain assignments, not conditional spreads: this runs once per remote path each pass.
  const e: { -readonly [K in keyof RemoteEntry]: RemoteEntry[K] } = { path: r.path, kind: r.kind };
  if (r.etag !== null) e.etag = r.etag;
  if (r.file_id !== null) e.fileId = r.file_id;
  if (r.size !== null) e.size = r.size;
  if (r.modified !== null) e.modified = r.modified;
  if (r.checksums !== null) {
    const sums = parseChecksums(r.checksums);
    if (sums !== undefined) e.checksums = sums;
  }
  return e;
}

export function remoteRow(e: RemoteEntry): [string, EntryKind, string | null, string | null, number | null, number | null, string | null] {
  return [e.path, e.kind, e.etag ?? null, e.fileId ?? null, e.size ?? null, e.modified ?? null, e.checksums === undefined ? null : formatChecksums(e.checksums)];
}

export function syncedEntry(r: SyncedRow): SyncedEntry {
  const e: { -readonly [K in keyof SyncedEntry]: SyncedEntry[K] } = { path: r.path, kind: r.kind };
  if (r.etag !== null) e.etag = r.etag;
  if (r.file_id !== null) e.fileId = r.file_id;
  if (r.size !== null) e.size = r.size;
  if (r.mtime_ns !== null) e.mtimeNs = r.mtime_ns;
  if (r.ino !== null) e.ino = r.ino;
  if (r.sha1 !== null) e.sha1 = r.sha1;
  return e;
}
