/**
 * Read-access revocations in PostgreSQL, shared by every instance: a user
 * who lost access to a member gets its removal from whichever instance they
 * sync through, and after any restart.
 */
import type { RevocationLog } from '@davsync/core';
import type { Pool } from 'pg';
import { quoteSchema } from './schema';
import { query } from './transaction';

export class PostgresRevocationLog implements RevocationLog {
  readonly #pool: Pool;
  readonly #upsert: string;
  readonly #select: string;

  constructor(options: { readonly pool: Pool; readonly schema?: string }) {
    const s = quoteSchema(options.schema ?? 'davsync');
    this.#pool = options.pool;
    // One statement for the whole batch: every (user, path) pair, keeping the latest revision.
    this.#upsert =
      `INSERT INTO ${s}.revocations ("user", path, revision) ` +
      'SELECT u, p, $3 FROM unnest($1::text[]) AS u CROSS JOIN unnest($2::text[]) AS p ' +
      `ON CONFLICT ("user", path) DO UPDATE SET revision = greatest(${s}.revocations.revision, excluded.revision)`;
    this.#select = `SELECT revision FROM ${s}.revocations WHERE "user" = $1 AND path = $2`;
  }

  async record(users: readonly string[], paths: readonly string[], revision: number): Promise<void> {
    if (users.length === 0 || paths.length === 0) return;
    await query(this.#pool, 'recording revocations', { text: this.#upsert, values: [users, paths, revision] });
  }

  async revokedAt(user: string, path: string): Promise<number | undefined> {
    const rows = await query<{ revision: string }>(this.#pool, 'reading revocations', { text: this.#select, values: [user, path] });
    return rows[0] === undefined ? undefined : Number(rows[0].revision);
  }
}
