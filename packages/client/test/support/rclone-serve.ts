/**
 * `rclone serve webdav` (Debian rclone 1.60), started by the test over a
 * temporary folder on 127.0.0.1 and a free port. It has no sync-collection
 * (a REPORT gets 400), no file IDs, and it ignores If-Match and
 * If-None-Match on PUT, and caches listings (see docs/client.md's server
 * table).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { answersPropfind, commandMissing, spawnServer } from './spawn-server';

export function rcloneMissing(): string | undefined {
  return commandMissing('rclone', ['version'], 'Debian: apt-get install -y rclone');
}

export interface TestRcloneServe {
  /** The served folder's root: `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The folder rclone serves (write here to change the remote side behind the server's back). */
  readonly docs: string;
  close(): Promise<void>;
}

export async function startRcloneServe(): Promise<TestRcloneServe> {
  const server = await spawnServer({
    name: 'rclone serve webdav',
    tmpPrefix: 'davsync-rclone-serve-',
    prepare: async (root, port) => {
      await mkdir(join(root, 'docs'));
      // A config file of its own: rclone would otherwise read the user's ~/.config/rclone.
      // --dir-cache-time 0s: by default rclone serves a directory listing from its cache for 5 minutes,
      // so files changed on its disk behind its back stay invisible to every client that long.
      const args = ['serve', 'webdav', join(root, 'docs'), '--addr', `127.0.0.1:${port}`, '--config', join(root, 'rclone.conf'), '--dir-cache-time', '0s'];
      return { command: 'rclone', args };
    },
    ready: (origin) => answersPropfind(`${origin}/`),
  });
  return { url: `http://127.0.0.1:${server.port}/`, docs: join(server.root, 'docs'), close: () => server.close() };
}
