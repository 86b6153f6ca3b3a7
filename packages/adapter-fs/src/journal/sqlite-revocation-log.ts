/**
 * The fs store's {@link RevocationLog}: read-access revocations in the state
 * database, so a user who lost access to a member still gets its removal
 * after a restart. Each `record` is one durable transaction.
 */
import type { RevocationLog } from '@davsync/core';
import type { StateDatabase } from './state-db';

export class SqliteRevocationLog implements RevocationLog {
  readonly #record: (users: readonly string[], paths: readonly string[], revision: number) => void;
  readonly #get: { get(user: string, path: string): unknown };

  /** A log over an open state database (from `openStateDb`); closing the database is the caller's business. */
  constructor(db: StateDatabase) {
    const upsert = db.prepare(
      'INSERT INTO revocations (user, path, revision) VALUES (?, ?, ?) ' +
        'ON CONFLICT (user, path) DO UPDATE SET revision = max(revision, excluded.revision)',
    );
    this.#record = db.transaction((users: readonly string[], paths: readonly string[], revision: number) => {
      for (const user of users) for (const path of paths) upsert.run(user, path, revision);
    });
    this.#get = db.prepare('SELECT revision FROM revocations WHERE user = ? AND path = ?').pluck();
  }

  async record(users: readonly string[], paths: readonly string[], revision: number): Promise<void> {
    this.#record(users, paths, revision);
  }

  async revokedAt(user: string, path: string): Promise<number | undefined> {
    const revision = this.#get.get(user, path);
    return typeof revision === 'number' ? revision : undefined;
  }
}
