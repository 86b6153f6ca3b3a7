/**
 * nephele (npm, a WebDAV server for Node and Express; the file-system
 * adapter, no authentication), started by the test as its own process
 * (`nephele-server.mjs`) over a temporary folder on 127.0.0.1 and a free
 * port. No sync-collection, no file IDs (see docs/client.md's server table).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { answersPropfind, spawnServer } from './spawn-server';

export function nepheleMissing(): string | undefined {
  try {
    require.resolve('nephele/package.json');
    return undefined;
  } catch {
    return 'the nephele package is not installed (npm install)';
  }
}

export interface TestNephele {
  /** The served folder's root: `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The folder nephele serves (write here to change the remote side behind the server's back). */
  readonly docs: string;
  close(): Promise<void>;
}

export async function startNephele(): Promise<TestNephele> {
  const server = await spawnServer({
    name: 'nephele',
    tmpPrefix: 'davsync-nephele-',
    prepare: async (root, port) => {
      await mkdir(join(root, 'docs'));
      return { command: process.execPath, args: [join(__dirname, 'nephele-server.mjs'), join(root, 'docs'), String(port)] };
    },
    ready: (origin) => answersPropfind(`${origin}/`),
  });
  return { url: `http://127.0.0.1:${server.port}/`, docs: join(server.root, 'docs'), close: () => server.close() };
}
