/**
 * Dead properties in the PostgreSQL store: a jsonb column of the member's
 * row, patched under the store-wide lock in the transaction that journals
 * the change (a collection's tag follows its properties).
 */
import type { Pool, PoolClient } from 'pg';
import { badRequest, normalizePath, notFound, type DeadPropertyStore, type TreeMutation } from '@davsync/core';
import { toEntry, type MemberRow, type MemberSql } from './members';
import { inTransaction, query } from './transaction';

// `{ns}local`, or a bare `local` for a name in no namespace.
const CLARK_NAME = /^(?:\{[^{}]*\})?[^{}]+$/;

/** What the properties need of their adapter. */
export interface DeadPropertyDeps {
  readonly pool: Pool;
  readonly members: MemberSql;
  /** Takes the store-wide lock every mutation holds from its checks to its commit. */
  readonly lock: (client: PoolClient) => Promise<void>;
  /** Records a mutation's journal entries in its transaction. */
  readonly journalOf: (client: PoolClient, mutation: TreeMutation) => Promise<void>;
}

export function postgresDeadProperties(deps: DeadPropertyDeps): DeadPropertyStore {
  return {
    get: (path) => getProperties(deps, normalizePath(path)),
    patch: (path, set, remove) => patchProperties(deps, normalizePath(path), set, remove),
  };
}

async function getProperties(deps: DeadPropertyDeps, path: string): Promise<Record<string, string>> {
  const rows = await query<{ properties: Record<string, string> }>(deps.pool, 'reading dead properties', {
    text: deps.members.properties,
    values: [path],
  });
  if (rows[0] === undefined) throw notFound(path);
  return { ...rows[0].properties };
}

async function patchProperties(deps: DeadPropertyDeps, path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
  const toSet = Object.entries(set);
  for (const name of [...remove, ...toSet.map(([n]) => n)]) {
    if (!CLARK_NAME.test(name)) throw badRequest(`dead property name is not in Clark notation: ${JSON.stringify(name)}`);
    if (name.includes('\0')) throw badRequest('NUL in a dead property name');
  }
  for (const [name, value] of toSet) {
    if (typeof value !== 'string') throw badRequest(`dead property value must be a string: ${name}`);
    // jsonb cannot hold U+0000, and XML cannot carry it either.
    if (value.includes('\0')) throw badRequest(`NUL in the value of dead property ${name}`);
  }
  await inTransaction(deps.pool, 'patching dead properties', async (client) => {
    await deps.lock(client);
    const rows = await query<{ properties: Record<string, string> }>(client, 'reading dead properties', {
      text: deps.members.properties,
      values: [path],
    });
    if (rows[0] === undefined) throw notFound(path);
    const next: Record<string, string> = { ...rows[0].properties };
    for (const name of remove) delete next[name];
    for (const [name, value] of toSet) next[name] = value;
    const [row] = await query<MemberRow>(client, 'patching dead properties', {
      text: deps.members.setProperties,
      values: [path, JSON.stringify(next)],
    });
    // Collections have no content to hash, so their tag follows their properties.
    await deps.journalOf(client, { kind: 'changed', entry: toEntry(row as MemberRow) });
  });
}
