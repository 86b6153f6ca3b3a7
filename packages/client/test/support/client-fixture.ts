/**
 * The set-up most client tests share: a temporary folder holding `folder/`
 * (the synced one) and room for scratch files, a davsync test server, and a
 * RemoteCollection on it — made before each test, closed and removed after.
 *
 * At the top of a file or describe block:
 *
 *     let tmp: string; let dir: string; let server: TestDavServer; let remote: RemoteCollection;
 *     useClientFixture('davsync-client-x-', (fx) => ({ tmp, dir, server, remote } = fx));
 *
 * `bind` hands each test's values to the file's own variables (so tests read
 * `dir`, not `fx.dir`); the returned object holds them too. `beforeClose`
 * runs first at the end of each test, while the server is still up
 * (stopping a sync loop that talks to it).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, jest } from '@jest/globals';
import { RemoteCollection } from '../../src/index';
import { startDavServer, type TestDavServer } from './davsync-server';

export interface ClientFixture {
  /** The temporary folder (scratch files go here). */
  readonly tmp: string;
  /** `tmp/folder`, the folder to sync. */
  readonly dir: string;
  readonly server: TestDavServer;
  /** The server's root collection, for tests to read and write the remote side directly. */
  readonly remote: RemoteCollection;
}

export function useClientFixture(prefix: string, bind?: (fx: ClientFixture) => void, options: { beforeClose?: () => Promise<void> } = {}): ClientFixture {
  const fx = {} as { -readonly [K in keyof ClientFixture]: ClientFixture[K] };
  beforeEach(async () => {
    fx.tmp = await mkdtemp(join(tmpdir(), prefix));
    fx.dir = join(fx.tmp, 'folder');
    await mkdir(fx.dir);
    fx.server = await startDavServer();
    fx.remote = new RemoteCollection({ url: fx.server.url });
    bind?.(fx);
  });
  afterEach(async () => {
    try {
      await options.beforeClose?.();
    } finally {
      jest.restoreAllMocks();
      await fx.server?.close();
      if (fx.tmp !== undefined) await rm(fx.tmp, { recursive: true, force: true });
    }
  });
  return fx;
}
