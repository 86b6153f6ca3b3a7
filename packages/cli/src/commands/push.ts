/**
 * `davsync push list DIR | --postgres URL [--collection PATH] [--json]`:
 * the operator's view of a store's WebDAV-Push registrations — every user's,
 * each with its expiry and what its push service last answered — to find
 * out why a client hears nothing (docs/push.md, "Push does not arrive").
 *
 * A folder's state database is read directly, without the lock `serve`
 * holds, so this works while the server runs (SQLite's WAL lets a reader
 * beside the writer). The output carries no keys and only the push
 * service's origin: a push resource's path is a capability.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { normalizePath, type PushRegistration, type PushRegistrationStore } from '@davsync/core';
import { describeRegistration } from '@davsync/express';
import { CliError, oneLine } from '../errors';
import { redactPassword } from '../server';

export interface PushListOptions {
  /** A served folder (its `.davsync/state.db`)… */
  readonly dir?: string;
  /** …or a PostgreSQL connection string. */
  readonly postgres?: string;
  /** Only the registrations on this collection (a member path). */
  readonly collection?: string;
  readonly json: boolean;
}

/** An open registration store and how to let it go. */
interface OpenedStore {
  readonly store: PushRegistrationStore;
  close(): Promise<void>;
}

export async function pushListCommand(options: PushListOptions): Promise<number> {
  const opened = options.postgres !== undefined ? await openPostgres(options.postgres) : await openFolder(options.dir as string);
  let registrations: PushRegistration[];
  try {
    const { store } = opened;
    if (options.collection !== undefined) registrations = await store.list(normalizePath(options.collection));
    else if (store.all !== undefined) registrations = await store.all();
    else throw new CliError('this store cannot list every registration: give --collection PATH');
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(`cannot read the push registrations: ${oneLine(err)}`);
  } finally {
    await opened.close();
  }
  const described = registrations.map(describeRegistration);
  process.stdout.write(options.json ? `${JSON.stringify(described, null, 2)}\n` : formatRegistrations(described, options.collection));
  return 0;
}

type Described = ReturnType<typeof describeRegistration>;

/** The text listing: a block per collection, two lines per registration. */
export function formatRegistrations(registrations: readonly Described[], collection?: string): string {
  if (registrations.length === 0) return `no live push registrations${collection === undefined ? '' : ` on ${collection}`}\n`;
  const out: string[] = [];
  let current: string | undefined;
  for (const r of registrations) {
    if (r.collection !== current) {
      current = r.collection;
      const n = registrations.filter((x) => x.collection === current).length;
      out.push(`${current} (${n} registration${n === 1 ? '' : 's'})`);
    }
    const triggers = Object.entries(r.trigger).map(([name, depth]) => `${name === 'contentUpdate' ? 'content-update' : 'property-update'} depth ${String(depth)}`);
    out.push(`  ${r.id}  user ${r.user ?? '(anonymous)'}  ${r.pushService}  ${triggers.join(', ')}`);
    out.push(`    registered ${r.created}, expires ${r.expires}; last delivery: ${lastDelivery(r)}`);
  }
  return `${out.join('\n')}\n`;
}

function lastDelivery(r: Described): string {
  const d = r.lastDelivery;
  if (d === null) return 'none yet';
  const answer = d.status === undefined ? 'no answer' : `push service answered ${d.status}`;
  if (d.ok) return `${d.at} ok (${answer})`;
  return `${d.at} FAILED (${r.failures} in a row): ${d.error ?? answer}`;
}

async function openFolder(dir: string): Promise<OpenedStore> {
  const file = join(dir, '.davsync', 'state.db');
  // openStateDb would create an empty database: a wrong path is said, not papered over.
  if (!existsSync(file)) throw new CliError(`${dir} has no davsync state (${file}): has it been served with davsync serve?`);
  const fs = await import('@davsync/adapter-fs');
  try {
    const db = fs.openStateDb(file);
    return { store: new fs.SqlitePushRegistrationStore(db), close: async () => void db.close() };
  } catch (err) {
    throw new CliError(`cannot open ${file}: ${oneLine(err)}`);
  }
}

async function openPostgres(url: string): Promise<OpenedStore> {
  const { openPostgresStore } = await import('@davsync/adapter-postgres');
  try {
    const store = await openPostgresStore({ connectionString: url, onWarning: () => undefined });
    return { store: store.pushRegistrations, close: () => store.close() };
  } catch (err) {
    throw new CliError(`cannot open postgres: ${redactPassword(url)}: ${oneLine(err)}`);
  }
}
