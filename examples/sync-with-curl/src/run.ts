import { execFile } from 'node:child_process';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The walk-through and the output it must print (the same from `src/` and `dist/`). */
export const SCRIPT = join(__dirname, '..', 'walkthrough.sh');
export const EXPECTED_OUTPUT = join(__dirname, '..', 'expected-output.txt');

/** Runs `walkthrough.sh` against `baseUrl` with bash; resolves with what it printed. */
export async function runWalkthrough(baseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, baseUrl], { timeout: 60_000 });
  return stdout;
}

/** Serves `handler` on 127.0.0.1 with a port the OS picks. */
export async function listenOnLoopback(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
