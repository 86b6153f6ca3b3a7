/**
 * A lock as a SQL row, for the stores that keep locks in a table (the fs
 * store's SQLite state database, PostgreSQL): the columns, the row ⇄
 * {@link ActiveLock} codec and the bounds of a subtree range. One copy, so
 * the two tables cannot come to read or write a lock differently; each
 * store keeps only its SQL dialect (placeholders, transactions).
 */
import { ROOT } from '../paths';
import type { ActiveLock } from './lock';

/** A `locks` row as a driver returns it. `expires` is a string from PostgreSQL's bigint, a number from SQLite. */
export interface StoredLockRow {
  token: string;
  root: string;
  scope: 'exclusive' | 'shared';
  depth: '0' | 'infinity';
  owner: string | null;
  principal: string | null;
  timeout: number;
  expires: number | string;
}

/** The columns, in the order of {@link storedLockValues}. */
export const STORED_LOCK_COLUMNS = 'token, root, scope, depth, owner, principal, timeout, expires';

/** The lock a row holds. */
export const lockOfRow = (r: StoredLockRow): ActiveLock => ({
  token: r.token,
  root: r.root,
  scope: r.scope,
  depth: r.depth === '0' ? 0 : 'infinity',
  owner: r.owner ?? undefined,
  principal: r.principal ?? undefined,
  timeoutSeconds: r.timeout,
  expires: Number(r.expires),
});

/** The values of an INSERT of `lock`, in the order of {@link STORED_LOCK_COLUMNS}. */
export const storedLockValues = (l: ActiveLock): [string, string, string, string, string | null, string | null, number, number] => [
  l.token,
  l.root,
  l.scope,
  String(l.depth),
  l.owner ?? null,
  l.principal ?? null,
  l.timeoutSeconds,
  l.expires,
];

/**
 * The bounds of the paths strictly below `path`, for `root > lo AND root <
 * hi` on a bytewise-ordered column: `/` sorts just before `0`, so
 * `path/…` lies between and `/ab` is not below `/a`.
 */
export const subtreeBounds = (path: string): [string, string] => (path === ROOT ? ['/', '0'] : [`${path}/`, `${path}0`]);
