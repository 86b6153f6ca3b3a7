/**
 * Apache httpd with mod_dav, started by the test itself: a temporary
 * ServerRoot, `-X` (one process, in the foreground, stopped with SIGTERM),
 * 127.0.0.1 and a free port. mod_dav has no sync-collection (a REPORT gets
 * 501), so it is the server for the PROPFIND walk.
 *
 * As root, httpd will not serve as root: it runs as `www-data` and the
 * temporary tree is handed to that user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from './spawn-server';

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
  const server = await spawnServer({
    name: 'apache2',
    tmpPrefix: 'davsync-apache-',
    prepare: async (root, port) => {
      const docs = join(root, 'dav');
      const run = join(root, 'run');
      await mkdir(docs);
      await mkdir(run);
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
      return { command: APACHE, args: ['-X', '-f', join(root, 'httpd.conf')] };
    },
    // Any answer to OPTIONS: httpd is listening.
    ready: async (origin) => {
      const res = await fetch(`${origin}/dav/`, { method: 'OPTIONS' });
      await res.body?.cancel();
      return true;
    },
    attempts: 100,
  });
  return { url: `http://127.0.0.1:${server.port}/dav/`, docs: join(server.root, 'dav'), close: () => server.close() };
}

function wwwData(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'www-data']).toString()), gid: Number(execFileSync('id', ['-g', 'www-data']).toString()) };
}
