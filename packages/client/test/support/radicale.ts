/**
 * Radicale (Debian 3.x), started by the test: `radicale --config FILE` on
 * 127.0.0.1 and a free port, `auth type = none` (its rights then let anyone
 * read and write), over a temporary store holding an address book
 * /user/contacts/ (and a spare one, /user/spare/) and a calendar
 * /user/calendar/ — made by writing their
 * `.Radicale.props` before start, as bench/peers/servers.js does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function radicaleMissing(): string | undefined {
  const r = spawnSync('radicale', ['--version'], { stdio: 'ignore' });
  return r.error !== undefined ? 'radicale is not installed (Debian: apt-get install -y radicale)' : undefined;
}

export interface TestRadicale {
  /** `http://127.0.0.1:PORT/user/contacts/` */
  readonly addressBook: string;
  /** `http://127.0.0.1:PORT/user/calendar/` */
  readonly calendar: string;
  /** A second, empty address book: `http://127.0.0.1:PORT/user/spare/` */
  readonly spareAddressBook: string;
  close(): Promise<void>;
}

export async function startRadicale(): Promise<TestRadicale> {
  const root = await mkdtemp(join(tmpdir(), 'davsync-radicale-'));
  const collections = join(root, 'store', 'collection-root', 'user');
  for (const [name, tag] of [['contacts', 'VADDRESSBOOK'], ['calendar', 'VCALENDAR'], ['spare', 'VADDRESSBOOK']] as const) {
    await mkdir(join(collections, name), { recursive: true });
    await writeFile(join(collections, name, '.Radicale.props'), JSON.stringify({ tag }));
  }
  const port = await freePort();
  const config = join(root, 'radicale.conf');
  await writeFile(
    config,
    ['[server]', `hosts = 127.0.0.1:${port}`, '[auth]', 'type = none', '[rights]', 'type = authenticated', '[storage]', `filesystem_folder = ${join(root, 'store')}`, '[logging]', 'level = warning', ''].join('\n'),
  );
  const child = spawn('radicale', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr.length < 20_000 ? (stderr += String(d)) : undefined));
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilServing(`${origin}/user/contacts/`, child, () => stderr);
  return {
    addressBook: `${origin}/user/contacts/`,
    calendar: `${origin}/user/calendar/`,
    spareAddressBook: `${origin}/user/spare/`,
    close: async () => {
      await stop(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls with PROPFIND until the address book answers, at most ~15 s. */
async function waitUntilServing(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`radicale exited (${child.exitCode}): ${stderr().trim()}`);
    try {
      const res = await fetch(url, { method: 'PROPFIND', headers: { depth: '0' } });
      await res.body?.cancel();
      if (res.status === 207) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`radicale did not serve ${url} within 15 s: ${stderr().trim()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
