/**
 * The served tree in the `members` table: one row per member, keyed by its
 * path. Paths sort bytewise (`COLLATE "C"`), so everything below `/a` is the
 * key range between `/a/` and `/a0` (`0` follows `/` in ASCII): removing,
 * copying or moving a subtree is one statement over one index range, and
 * `/ab` or `/a.b` never fall inside it.
 */
import type { Checksums, Entry } from '@davsync/core';
import { ROOT } from '@davsync/core';

/** A member row as the adapter reads it. */
export interface MemberRow {
  readonly path: string;
  readonly collection: boolean;
  readonly etag: string;
  readonly size: string | null;
  readonly content_type: string | null;
  readonly blob: string | null;
  readonly created: Date;
  readonly modified: Date;
  /** bigint, as text. */
  readonly file_id: string;
  /** Checksums (schema step 4); not selected by a listing that does not ask for them. */
  readonly sha1?: string | null;
  readonly md5?: string | null;
  readonly sha256?: string | null;
  /** Block hashes (`Checksums.blocks`, issue 20), stored form. */
  readonly blocks?: string | null;
}

/** The exclusive bounds of the key range holding the members strictly below `path`. */
export function below(path: string): [string, string] {
  return path === ROOT ? ['/', '0'] : [`${path}/`, `${path}0`];
}

/**
 * A file's ETag: its content's hash (hex, no `-`), extended with the
 * modification time in ms (base 36) when a client set it, so a change of
 * time alone is a new ETag. `split_part(etag, '-', 1)` is the hash again.
 */
export function fileTag(contentHash: string, clientModified: Date | undefined): string {
  return clientModified === undefined ? contentHash : `${contentHash}-m${clientModified.getTime().toString(36)}`;
}

/** A fresh collection ETag, made in SQL so every instance draws from the same kind of value. */
const NEW_COLLECTION_TAG = `'col-' || replace(gen_random_uuid()::text, '-', '')`;

export function memberSql(s: string) {
  // A listing reads the checksums only when asked (ReadOptions.checksums): same query, wider rows.
  const lean = 'path, collection, etag, size, content_type, blob, created, modified, file_id';
  const columns = `${lean}, sha1, md5, sha256, blocks`;
  // $1 the subtree's root, $2 and $3 the bounds of the range below it.
  const subtree = '(path = $1 OR (path > $2 AND path < $3))';
  return {
    columns,
    /** Takes the store-wide write lock; see `lockClock`. */
    lockClock: `SELECT revision FROM ${s}.clock FOR UPDATE`,
    stat: `SELECT ${columns} FROM ${s}.members WHERE path = $1`,
    /** Bytes of file content held (kept by triggers, schema 4), and whether $1 is a collection (null: absent). */
    usedBytes: `SELECT c.used_bytes, (SELECT collection FROM ${s}.members WHERE path = $1) AS collection FROM ${s}.clock c`,
    /** A member and its parent in one snapshot. */
    slot: `SELECT ${columns} FROM ${s}.members WHERE path = ANY ($1::text[])`,
    /** A page of a collection's members in key order, after `$2`. */
    listPage: `SELECT ${lean} FROM ${s}.members WHERE parent = $1 AND path > $2 ORDER BY path LIMIT $3`,
    listPageWithChecksums: `SELECT ${columns} FROM ${s}.members WHERE parent = $1 AND path > $2 ORDER BY path LIMIT $3`,
    /** $8: the client's modification time, or null for the time of the write; $9–$12 the checksums and block hashes. */
    insertFile: `INSERT INTO ${s}.members (path, parent, collection, etag, size, content_type, blob, chunk_size, modified, sha1, md5, sha256, blocks)
                 VALUES ($1, $2, false, $3, $4, $5, $6, $7, coalesce($8::timestamptz, now()), $9, $10, $11, $12) RETURNING ${columns}`,
    /** $7: the client's modification time, or null; $8–$11 the checksums and block hashes. The file ID stays: an overwrite is the same member. */
    updateFile: `UPDATE ${s}.members SET etag = $2, size = $3, content_type = $4, blob = $5, chunk_size = $6,
                        modified = coalesce($7::timestamptz, now()), sha1 = $8, md5 = $9, sha256 = $10, blocks = $11
                 WHERE path = $1 RETURNING ${columns}`,
    /** Sets a member's modification time ($2); a file's ETag becomes its content hash with the time ($3, see fileTag). */
    setModified: `UPDATE ${s}.members SET modified = $2::timestamptz,
                         etag = CASE WHEN collection THEN etag ELSE split_part(etag, '-', 1) || $3 END
                  WHERE path = $1 RETURNING ${columns}`,
    insertCollection: `INSERT INTO ${s}.members (path, parent, collection, etag) VALUES ($1, $2, true, ${NEW_COLLECTION_TAG})
                       RETURNING ${columns}`,
    /** Removes a subtree and returns the blobs it referred to. */
    removeSubtree: `DELETE FROM ${s}.members WHERE ${subtree} RETURNING blob`,
    /** Paths, types and ETags of a subtree, parents before their members. */
    subtree: `SELECT path, collection, etag FROM ${s}.members WHERE ${subtree} ORDER BY path`,
    /**
     * Copies a subtree ($4: also the members below, $5 the destination, $6
     * its parent). Files share their source's blob; collections get new
     * ETags; dates are the copy's own (so a file's ETag is its content's
     * hash again) and so are file IDs (the column's default); dead
     * properties and checksums come along.
     */
    copySubtree: `INSERT INTO ${s}.members (path, parent, collection, etag, size, content_type, blob, chunk_size, properties, sha1, md5, sha256, blocks)
                  SELECT $5 || substr(path, length($1) + 1),
                         CASE WHEN path = $1 THEN $6 ELSE $5 || substr(parent, length($1) + 1) END,
                         collection, CASE WHEN collection THEN ${NEW_COLLECTION_TAG} ELSE split_part(etag, '-', 1) END,
                         size, content_type, blob, chunk_size, properties, sha1, md5, sha256, blocks
                  FROM ${s}.members WHERE path = $1 OR ($4::boolean AND path > $2 AND path < $3)`,
    /** Moves a subtree ($4 the destination, $5 its parent); ETags, dates, file IDs and properties stay. */
    moveSubtree: `UPDATE ${s}.members SET path = $4 || substr(path, length($1) + 1),
                         parent = CASE WHEN path = $1 THEN $5 ELSE $4 || substr(parent, length($1) + 1) END
                  WHERE ${subtree}`,
    properties: `SELECT properties FROM ${s}.members WHERE path = $1`,
    setProperties: `UPDATE ${s}.members SET properties = $2::jsonb,
                           etag = CASE WHEN collection THEN ${NEW_COLLECTION_TAG} ELSE etag END
                     WHERE path = $1 RETURNING ${columns}`,
  };
}

export type MemberSql = ReturnType<typeof memberSql>;

/** The public view of a row; dates are fresh objects so callers cannot alter anything shared. */
export function toEntry(row: MemberRow): Entry {
  const dates = { created: new Date(row.created.getTime()), modified: new Date(row.modified.getTime()) };
  if (row.collection) return { path: row.path, collection: true, etag: row.etag, fileId: row.file_id, ...dates };
  return {
    path: row.path,
    collection: false,
    etag: row.etag,
    fileId: row.file_id,
    size: Number(row.size ?? 0),
    ...(row.content_type === null ? {} : { contentType: row.content_type }),
    ...checksumsOf(row),
    ...dates,
  };
}

/** The row's checksums as an entry carries them: absent when none was stored (or selected). */
function checksumsOf(row: MemberRow): { checksums?: Checksums } {
  const sums: { sha1?: string; md5?: string; sha256?: string; blocks?: string } = {};
  if (typeof row.sha1 === 'string') sums.sha1 = row.sha1;
  if (typeof row.md5 === 'string') sums.md5 = row.md5;
  if (typeof row.sha256 === 'string') sums.sha256 = row.sha256;
  if (typeof row.blocks === 'string') sums.blocks = row.blocks;
  return Object.keys(sums).length === 0 ? {} : { checksums: sums };
}

/** The checksum columns' values of a write ($sha1, $md5, $sha256, $blocks), NULL for any not computed. */
export function checksumValues(checksums: Checksums | undefined): [string | null, string | null, string | null, string | null] {
  return [checksums?.sha1 ?? null, checksums?.md5 ?? null, checksums?.sha256 ?? null, checksums?.blocks ?? null];
}
