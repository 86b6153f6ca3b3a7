/**
 * The delta uploads under way, in the state database (`delta_uploads`):
 * what a chain of PATCHes is turning the server's file into, and the ETag
 * of the last version it wrote. Each PATCH makes a new version on the
 * server that is neither the synced one nor the local one; without this
 * record a kill between two PATCHes would leave the next pass seeing both
 * sides changed — a false conflict. With it, the next pass knows such a
 * version as the client's own half-done work (`sync/delta-upload.ts`,
 * `resumeDeltaUploads`) and simply sends what is still missing.
 *
 * The table is made when first needed (`CREATE TABLE IF NOT EXISTS`): a
 * state written before it existed needs no upgrade.
 */
import type Database from 'better-sqlite3';

export interface DeltaUpload {
  readonly path: string;
  /** The version the chain started from (the synced ETag). */
  readonly baseEtag: string;
  /** The newest version a PATCH of the chain answered with (the base before the first). */
  readonly lastEtag: string;
  readonly blockSize: number;
  readonly baseSize: number;
  readonly targetSize: number;
  /** The server's block list of the base version, and the local file's: every version the chain makes is a mix of the two. */
  readonly baseHashes: readonly string[];
  readonly targetHashes: readonly string[];
}

interface Row {
  path: string;
  base_etag: string;
  last_etag: string;
  block_size: number;
  base_size: number;
  target_size: number;
  base_hashes: string;
  target_hashes: string;
}

export class DeltaUploadLog {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS delta_uploads (
      path TEXT PRIMARY KEY, base_etag TEXT NOT NULL, last_etag TEXT NOT NULL, block_size INTEGER NOT NULL,
      base_size INTEGER NOT NULL, target_size INTEGER NOT NULL, base_hashes TEXT NOT NULL, target_hashes TEXT NOT NULL)`);
  }

  /** Noted before the first PATCH (a commit with `synchronous = FULL`: it survives a kill that follows). */
  begin(u: DeltaUpload): void {
    this.db
      .prepare('INSERT OR REPLACE INTO delta_uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(u.path, u.baseEtag, u.lastEtag, u.blockSize, u.baseSize, u.targetSize, u.baseHashes.join(' '), u.targetHashes.join(' '));
  }

  /** A PATCH answered: its version is the chain's newest. */
  advance(path: string, etag: string): void {
    this.db.prepare('UPDATE delta_uploads SET last_etag = ? WHERE path = ?').run(etag, path);
  }

  forget(path: string): void {
    this.db.prepare('DELETE FROM delta_uploads WHERE path = ?').run(path);
  }

  all(): DeltaUpload[] {
    return (this.db.prepare('SELECT * FROM delta_uploads').all() as Row[]).map((r) => ({
      path: r.path,
      baseEtag: r.base_etag,
      lastEtag: r.last_etag,
      blockSize: r.block_size,
      baseSize: r.base_size,
      targetSize: r.target_size,
      baseHashes: r.base_hashes === '' ? [] : r.base_hashes.split(' '),
      targetHashes: r.target_hashes === '' ? [] : r.target_hashes.split(' '),
    }));
  }
}
