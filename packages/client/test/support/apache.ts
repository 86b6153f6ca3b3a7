/**
 * Apache httpd with mod_dav, started by the test itself: a temporary
 * ServerRoot, `-X` (one process, in the foreground, stopped with SIGTERM),
 * 127.0.0.1 and a free port. mod_dav has no sync-collection (a REPORT gets
 * 501), so it is the server for the PROPFIND walk.
 *
 * As root, httpd will not serve as root: it runs as `www-data` and the
 * temporary tree is handed to that user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

/** Why the Apache tests cannot run here, or undefined when they can. */
export function apacheMissing(): string | undefined {
  if (!existsSync(APACHE)) return `${APACHE} is not installed (apt-get install apache2)`;
  for (const m of ['mod_mpm_prefork.so', 'mod_dav.so', 'mod_dav_fs.so', 'mod_authz_core.so', 'mod_alias.so']) {
    if (!existsSync(join(MODULES, m))) return `${join(MODULES, m)} is missing`;
  }
  return undefined;
}

export interface TestApache {
  /** The WebDAV collection: `http://127.0.0.1:PORT/dav/` */
  readonly url: string;
  /** The folder mod_dav serves (write here to change the remote side behind the server's back). */
  readonly docs: string;
  close(): Promise<void>;
}

export async function startApache(): Promise<TestApache> {
  const root = await mkdtemp(join(tmpdir(), 'davsync-apache-'));
  const docs = join(root, 'dav');
  const run = join(root, 'run');
  await mkdir(docs);
  await mkdir(run);
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const conf = [
    `ServerRoot ${root}`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${port}`,
    `PidFile ${run}/httpd.pid`,
    ...['mpm_prefork', 'authz_core', 'dav', 'dav_fs', 'alias', 'dir', 'mime'].map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
    'TypesConfig /dev/null',
    ...(asRoot ? ['User www-data', 'Group www-data'] : []),
    `ErrorLog ${run}/error.log`,
    'LogLevel warn',
    // -X serves one connection at a time: a kept-alive idle connection would hold every other client for KeepAliveTimeout.
    'KeepAlive Off',
    `DavLockDB ${run}/DavLock`,
    `Alias /dav ${docs}`,
    `<Directory ${docs}>`,
    '  Dav On',
    '  Require all granted',
    '</Directory>',
  ].join('\n');
  await writeFile(join(root, 'httpd.conf'), `${conf}\n`);
  if (asRoot) {
    const { uid, gid } = wwwData();
    for (const dir of [root, docs, run]) await chown(dir, uid, gid);
  }
  const child = spawn(APACHE, ['-X', '-f', join(root, 'httpd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  await waitUntilListening(port, child, () => stderr);
  return {
    url: `http://127.0.0.1:${port}/dav/`,
    docs,
    close: async () => {
      await stop(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}

function wwwData(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'www-data']).toString()), gid: Number(execFileSync('id', ['-g', 'www-data']).toString()) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls with an OPTIONS request, at most ~10 s; fails early with httpd's own words if it exits. */
async function waitUntilListening(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`apache2 exited (${child.exitCode}): ${stderr().trim()}`);
    try {
      await fetch(`http://127.0.0.1:${port}/dav/`, { method: 'OPTIONS' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`apache2 did not listen on ${port} within 10 s: ${stderr().trim()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
