/**
 * The VAPID keys `davsync serve --push` signs with. Clients' push
 * subscriptions are bound to the public key and topics are derived from the
 * private one, so the keys must outlive a restart: given in the environment
 * (`DAVSYNC_VAPID_PUBLIC_KEY`, `DAVSYNC_VAPID_PRIVATE_KEY`: what several
 * instances on one database must share), else generated once and kept in
 * the folder's state directory (`push-vapid.json`, readable by the owner
 * only), else — a memory or PostgreSQL store — generated for this run.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateVapidKeys } from '@davsync/express';
import { CliError } from './errors';

export interface VapidKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
  /** Where they came from, for the log. */
  readonly source: 'environment' | 'state directory' | 'generated for this run';
}

export const VAPID_FILE = 'push-vapid.json';

const PUBLIC = /^[A-Za-z0-9_-]{87}$/;
const PRIVATE = /^[A-Za-z0-9_-]{43}$/;

export async function loadVapidKeys(stateDir: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<VapidKeyPair> {
  const fromEnv = { publicKey: env['DAVSYNC_VAPID_PUBLIC_KEY'], privateKey: env['DAVSYNC_VAPID_PRIVATE_KEY'] };
  if (fromEnv.publicKey !== undefined || fromEnv.privateKey !== undefined) {
    if (!PUBLIC.test(fromEnv.publicKey ?? '') || !PRIVATE.test(fromEnv.privateKey ?? '')) {
      throw new CliError('DAVSYNC_VAPID_PUBLIC_KEY and DAVSYNC_VAPID_PRIVATE_KEY must both be set, base64url (87 and 43 characters)');
    }
    return { publicKey: fromEnv.publicKey as string, privateKey: fromEnv.privateKey as string, source: 'environment' };
  }
  if (stateDir === undefined) return { ...generateVapidKeys(), source: 'generated for this run' };
  const file = join(stateDir, VAPID_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    const kept = JSON.parse(text) as { publicKey?: unknown; privateKey?: unknown };
    if (typeof kept.publicKey !== 'string' || !PUBLIC.test(kept.publicKey) || typeof kept.privateKey !== 'string' || !PRIVATE.test(kept.privateKey)) {
      throw new CliError(`${file} does not hold VAPID keys; remove it to generate new ones (clients must then register again)`);
    }
    return { publicKey: kept.publicKey, privateKey: kept.privateKey, source: 'state directory' };
  }
  const keys = generateVapidKeys();
  // Written whole under another name, then renamed: a crash never leaves half a key file.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return { ...keys, source: 'state directory' };
}
