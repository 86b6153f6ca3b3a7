/**
 * Xandikos (a CardDAV/CalDAV server with RFC 6578 sync, stored in git),
 * started by the test: `xandikos -d ROOT --defaults` on 127.0.0.1 and a free
 * port, which makes the address book /user/contacts/addressbook/. It
 * refuses `sync-level: infinite` (400), so the client syncs it at level 1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function xandikosMissing(): string | undefined {
  const r = spawnSync('xandikos', ['--version'], { stdio: 'ignore' });
  return r.error !== undefined ? 'xandikos is not installed (Debian: apt-get install -y xandikos)' : undefined;
}

export interface TestXandikos {
  /** The address book: `http://127.0.0.1:PORT/user/contacts/addressbook/` */
  readonly url: string;
  /** The calendar `--defaults` makes: `http://127.0.0.1:PORT/user/calendars/calendar/` */
  readonly calendar: string;
  close(): Promise<void>;
}

export async function startXandikos(): Promise<TestXandikos> {
  const root = await mkdtemp(join(tmpdir(), 'davsync-xandikos-'));
  const port = await freePort();
  const child = spawn('xandikos', ['-d', join(root, 'store'), '--defaults', '-l', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}/user/contacts/addressbook/`;
  await waitUntilServing(url, child, () => stderr);
  return {
    url,
    calendar: `http://127.0.0.1:${port}/user/calendars/calendar/`,
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
    if (child.exitCode !== null) throw new Error(`xandikos exited (${child.exitCode}): ${stderr().trim()}`);
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
  throw new Error(`xandikos did not serve ${url} within 15 s: ${stderr().trim()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
