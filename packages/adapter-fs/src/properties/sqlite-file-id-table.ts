/**
 * Continued file IDs (`file-ids.ts`) in the state database: one row per
 * overwritten file, with its parent's path so a listing reads a folder's
 * rows with one index range (never the rows of the whole subtree). Subtree
 * operations use the same key ranges as the property table.
 */
import { parentOf, ROOT } from '@davsync/core';
import { commitUnsynced, withStateDb, type StateDatabase } from '../journal/state-db';
import type { FileIdRow, FileIdTable } from './file-ids';

const SUBTREE = '(path = :path OR (path > :lo AND path < :hi))';

function subtree(path: string): { path: string; lo: string; hi: string } {
  const base = path === ROOT ? '' : path;
  return { path, lo: `${base}/`, hi: `${base}0` };
}

function prepare(db: StateDatabase) {
  return {
    get: db.prepare<[string], { id: string; bound_to: string }>('SELECT id, bound_to FROM file_ids WHERE path = ?'),
    inFolder: db.prepare<[string], { path: string; id: string; bound_to: string }>('SELECT path, id, bound_to FROM file_ids WHERE parent = ?'),
    bind: db.prepare<[string, string, string, string]>(
      `INSERT INTO file_ids (path, parent, id, bound_to) VALUES (?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET id = excluded.id, bound_to = excluded.bound_to`,
    ),
    anyInTree: db.prepare<[ReturnType<typeof subtree>], 1>(`SELECT 1 FROM file_ids WHERE ${SUBTREE} LIMIT 1`).pluck(),
    removeTree: db.prepare<[ReturnType<typeof subtree>]>(`DELETE FROM file_ids WHERE ${SUBTREE}`),
    // Lengths computed by SQLite, which counts characters where JavaScript counts UTF-16 units.
    moveTree: db.prepare<[ReturnType<typeof subtree> & { to: string; toParent: string; fromBase: string; toBase: string }]>(
      `UPDATE file_ids SET
         path = CASE WHEN path = :path THEN :to ELSE :toBase || substr(path, length(:fromBase) + 1) END,
         parent = CASE WHEN path = :path THEN :toParent ELSE :toBase || substr(parent, length(:fromBase) + 1) END
       WHERE ${SUBTREE}`,
    ),
  };
}

/** The store's {@link FileIdTable}, sharing the state database's connection. */
export class SqliteFileIdTable implements FileIdTable {
  readonly #db: StateDatabase;
  readonly #s: ReturnType<typeof prepare>;
  readonly #move: (from: string, to: string) => void;

  constructor(db: StateDatabase) {
    this.#db = db;
    const s = (this.#s = prepare(db));
    this.#move = db.transaction((from: string, to: string) => {
      s.removeTree.run(subtree(to));
      s.moveTree.run({ ...subtree(from), to, toParent: parentOf(to) ?? ROOT, fromBase: from, toBase: to });
    });
  }

  async get(path: string): Promise<FileIdRow | undefined> {
    const row = withStateDb(this.#db, 'reading a file ID', () => this.#s.get.get(path));
    return row === undefined ? undefined : { id: row.id, boundTo: row.bound_to };
  }

  async inFolder(collection: string): Promise<ReadonlyMap<string, FileIdRow>> {
    const rows = withStateDb(this.#db, 'reading file IDs', () => this.#s.inFolder.all(collection));
    return new Map(rows.map((r) => [r.path, { id: r.id, boundTo: r.bound_to }]));
  }

  async bind(path: string, id: string, boundTo: string, options: { readonly unsynced?: boolean } = {}): Promise<void> {
    const bind = () => this.#s.bind.run(path, parentOf(path) ?? ROOT, id, boundTo);
    withStateDb(this.#db, 'keeping a file ID', () => (options.unsynced === true ? commitUnsynced(this.#db, bind) : bind()));
  }

  async moveTree(from: string, to: string): Promise<void> {
    // The root is never moved (`checkTransferPaths`), so both ends are members.
    if (from !== to) withStateDb(this.#db, 'moving file IDs', () => this.#move(from, to));
  }

  async removeTree(path: string): Promise<void> {
    withStateDb(this.#db, 'removing file IDs', () => {
      // Usually there is nothing to remove: a read costs no write transaction.
      const tree = subtree(path);
      if (this.#s.anyInTree.get(tree) !== undefined) this.#s.removeTree.run(tree);
    });
  }
}
