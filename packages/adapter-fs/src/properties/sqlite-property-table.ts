/**
 * Dead properties in the state database: one row per (member path, Clark
 * name). Subtree operations select `path` itself plus the key range of its
 * descendants, `path || '/'` < p < `path || '0'` ('0' is the character after
 * '/', and SQLite compares text bytewise), so a sibling such as `/ab` or
 * `/a.b` is never caught by `/a`, and `%` or `_` in a name mean nothing (no
 * LIKE anywhere). Every operation is one transaction.
 */
import { badRequest, forbidden, isMemberPath, isWithin, ROOT } from '@davsync/core';
import type { PatchOptions, PropertyTable } from './property-table';
import { commitUnsynced, withStateDb, type StateDatabase } from '../journal/state-db';

// `{ns}local`, or a bare `local` for a name in no namespace (RFC 4918 allows those).
const CLARK_NAME = /^(?:\{[^{}]*\})?[^{}]+$/;

/** Named parameters of the subtree statements. */
interface Subtree {
  /** The member itself. */
  readonly path: string;
  /** Exclusive bounds of its descendants' paths. */
  readonly lo: string;
  readonly hi: string;
}

const SUBTREE = '(path = :path OR (path > :lo AND path < :hi))';

function subtree(path: string): Subtree {
  const base = path === ROOT ? '' : path;
  return { path, lo: `${base}/`, hi: `${base}0` };
}

function prepare(db: StateDatabase) {
  return {
    get: db.prepare<[string], { name: string; value: string }>('SELECT name, value FROM properties WHERE path = ? ORDER BY name'),
    set: db.prepare<[string, string, string]>(
      'INSERT INTO properties (path, name, value) VALUES (?, ?, ?) ON CONFLICT (path, name) DO UPDATE SET value = excluded.value',
    ),
    remove: db.prepare<[string, string]>('DELETE FROM properties WHERE path = ? AND name = ?'),
    removeTree: db.prepare<[Subtree]>(`DELETE FROM properties WHERE ${SUBTREE}`),
    anyInTree: db.prepare<[Subtree], 1>(`SELECT 1 FROM properties WHERE ${SUBTREE} LIMIT 1`).pluck(),
    namedBelow: db.prepare<[{ lo: string; hi: string; name: string }], { path: string; value: string }>(
      'SELECT path, value FROM properties WHERE path > :lo AND path < :hi AND name = :name',
    ),
    // `to || substr(...)` rebases a descendant; lengths are computed by SQLite
    // because it counts characters where JavaScript counts UTF-16 units.
    copyTree: db.prepare<[Subtree & { to: string; fromBase: string; toBase: string }]>(
      `INSERT INTO properties (path, name, value)
       SELECT CASE WHEN path = :path THEN :to ELSE :toBase || substr(path, length(:fromBase) + 1) END, name, value
       FROM properties WHERE ${SUBTREE}`,
    ),
    moveTree: db.prepare<[Subtree & { to: string; fromBase: string; toBase: string }]>(
      `UPDATE properties SET path = CASE WHEN path = :path THEN :to ELSE :toBase || substr(path, length(:fromBase) + 1) END
       WHERE ${SUBTREE}`,
    ),
  };
}

/**
 * The filesystem adapter's `PropertyTable`, sharing the state database's
 * connection with the journal. It stores what it is given: whether the
 * member exists (`not-found` for a missing one) is the adapter's check,
 * made before calling it.
 *
 * @example
 * const properties = new SqlitePropertyTable(openStateDb(file));
 * await properties.patch('/a.txt', { '{urn:x}color': 'red' }, []);
 */
export class SqlitePropertyTable implements PropertyTable {
  readonly #db: StateDatabase;
  readonly #s: ReturnType<typeof prepare>;
  readonly #patch: (path: string, set: ReadonlyArray<readonly [string, string]>, remove: readonly string[]) => void;
  readonly #replaceTree: (from: string, to: string, move: boolean) => void;

  /** A table over an open state database (from `openStateDb`); closing the database is the caller's business. */
  constructor(db: StateDatabase) {
    this.#db = db;
    this.#s = prepare(db);
    const s = this.#s;
    this.#patch = db.transaction((path: string, set: ReadonlyArray<readonly [string, string]>, remove: readonly string[]) => {
      // Removals first, so a name in both lists ends up set (as in the memory adapter).
      for (const name of remove) s.remove.run(path, name);
      for (const [name, value] of set) s.set.run(path, name, value);
    });
    this.#replaceTree = db.transaction((from: string, to: string, move: boolean) => {
      s.removeTree.run(subtree(to));
      const params = { ...subtree(from), to, fromBase: from === ROOT ? '' : from, toBase: to === ROOT ? '' : to };
      if (move) s.moveTree.run(params);
      else s.copyTree.run(params);
    });
  }

  /** All dead properties of `path` (an empty object when it has none). */
  async get(path: string): Promise<Record<string, string>> {
    const p = memberPath(path);
    // fromEntries defines own properties, so even a bare name `__proto__` survives.
    return this.#guard('reading properties', () => Object.fromEntries(this.#s.get.all(p).map((r) => [r.name, r.value])));
  }

  /**
   * Removes `remove` and sets `set`, in one transaction; a refused name or
   * value changes nothing. `unsynced`: a write's own metadata, synced by its
   * journal entry's commit (see `commitUnsynced`).
   */
  async patch(path: string, set: Readonly<Record<string, string>>, remove: readonly string[], options: PatchOptions = {}): Promise<void> {
    const p = memberPath(path);
    const toSet = Object.entries(set);
    for (const name of [...remove, ...toSet.map(([n]) => n)]) {
      if (typeof name !== 'string' || !CLARK_NAME.test(name)) {
        throw badRequest(`dead property name is not in Clark notation: ${JSON.stringify(name)}`);
      }
    }
    for (const [name, value] of toSet) {
      if (typeof value !== 'string') throw badRequest(`dead property value must be a string: ${name}`);
    }
    const patch = () => this.#patch(p, toSet, remove);
    this.#guard('patching properties', () => (options.unsynced === true ? commitUnsynced(this.#db, patch) : patch()));
  }

  async copyTree(from: string, to: string): Promise<void> {
    const [src, dst] = this.#transfer(from, to);
    if (src !== dst) this.#guard('copying properties', () => this.#replaceTree(src, dst, false));
  }

  async moveTree(from: string, to: string): Promise<void> {
    const [src, dst] = this.#transfer(from, to);
    if (src !== dst) this.#guard('moving properties', () => this.#replaceTree(src, dst, true));
  }

  async valuesIn(collection: string, name: string): Promise<ReadonlyMap<string, string>> {
    const { lo, hi } = subtree(memberPath(collection));
    return this.#guard('reading properties', () => {
      const out = new Map<string, string>();
      // The range holds every descendant; keep the direct members.
      for (const row of this.#s.namedBelow.all({ lo, hi, name })) if (!row.path.includes('/', lo.length)) out.set(row.path, row.value);
      return out;
    });
  }

  async removeTree(path: string): Promise<void> {
    const p = memberPath(path);
    this.#guard('removing properties', () => {
      // Usually there is nothing to remove (every new file asks): a read
      // then costs no write transaction and no wait for the write lock.
      const tree = subtree(p);
      if (this.#s.anyInTree.get(tree) !== undefined) this.#s.removeTree.run(tree);
    });
  }

  /** Checks a copy or move: onto itself is a no-op, into its own subtree (or over an ancestor) is refused. */
  #transfer(from: string, to: string): [string, string] {
    const src = memberPath(from);
    const dst = memberPath(to);
    if (src !== dst && (isWithin(dst, src) || isWithin(src, dst))) {
      throw forbidden(`cannot copy or move properties between overlapping trees: ${src} → ${dst}`, dst);
    }
    return [src, dst];
  }

  #guard<T>(action: string, fn: () => T): T {
    return withStateDb(this.#db, action, fn);
  }
}

function memberPath(path: string): string {
  if (!isMemberPath(path)) throw badRequest(`not a member path: ${JSON.stringify(path)}`);
  return path;
}
