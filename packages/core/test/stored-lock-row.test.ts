import { describe, expect, it } from '@jest/globals';
import { lockOfRow, storedLockValues, STORED_LOCK_COLUMNS, subtreeBounds, type ActiveLock, type StoredLockRow } from '../src';

const lock: ActiveLock = {
  token: 'urn:uuid:6f1c2a9e-0000-4000-8000-000000000001',
  root: '/docs',
  scope: 'shared',
  depth: 'infinity',
  owner: '<D:owner xmlns:D="DAV:">zoë</D:owner>',
  principal: 'zoë',
  timeoutSeconds: 120,
  expires: 1_800_000_000_123,
};

/** A row as a driver hands it back: the INSERT's values under the column names. */
const rowOf = (values: readonly unknown[], expires: (v: number) => number | string): StoredLockRow => {
  const names = STORED_LOCK_COLUMNS.split(', ');
  const row = Object.fromEntries(names.map((n, i) => [n, values[i]])) as unknown as StoredLockRow;
  return { ...row, expires: expires(row.expires as number) };
};

describe('stored lock row', () => {
  it('gives back the lock it stored, from SQLite (number) and PostgreSQL (bigint as a string)', () => {
    expect(lockOfRow(rowOf(storedLockValues(lock), (v) => v))).toEqual(lock);
    expect(lockOfRow(rowOf(storedLockValues(lock), (v) => String(v)))).toEqual(lock);
  });

  it('keeps depth 0 and an absent owner and principal', () => {
    const bare: ActiveLock = { ...lock, depth: 0, owner: undefined, principal: undefined };
    const values = storedLockValues(bare);
    expect(values[3]).toBe('0');
    expect(values[4]).toBeNull();
    expect(lockOfRow(rowOf(values, (v) => v))).toEqual(bare);
  });

  it('bounds exactly the paths below a path, bytewise', () => {
    const below = (path: string, root: string): boolean => {
      const [lo, hi] = subtreeBounds(path);
      return root > lo && root < hi;
    };
    expect(below('/a', '/a/b')).toBe(true);
    expect(below('/a', '/a/b/c')).toBe(true);
    expect(below('/a', '/a')).toBe(false);
    expect(below('/a', '/ab')).toBe(false);
    expect(below('/a', '/a-b')).toBe(false);
    expect(below('/', '/x')).toBe(true);
    expect(below('/', '/')).toBe(false);
  });
});
