/**
 * Test servers on an ephemeral loopback port. Every test that speaks HTTP
 * starts one with `startServer` and closes it in `afterEach`/`afterAll`.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryAdapter } from '@davsync/adapter-memory';
import type { StorageAdapter, SyncEngine } from '@davsync/core';
import { davsync, type DavsyncOptions } from '@davsync/express';

export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `origin` + mount point, without a trailing slash (`''` mount → origin). */
  readonly url: string;
  readonly engine: SyncEngine;
  readonly adapter: StorageAdapter;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with an OS-chosen port. */
export async function listen(handler: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * davsync over a memory adapter (or the one given) on bare node:http,
 * mounted at `mount` (e.g. '/dav') by stripping it from `req.url` the way
 * Connect does.
 */
export async function startServer(
  options: { mount?: string; adapter?: StorageAdapter } & Omit<DavsyncOptions, 'adapter' | 'engine'> = {},
): Promise<TestServer> {
  const { mount = '', adapter = new MemoryAdapter(), ...rest } = options;
  const middleware = davsync({ adapter, ...rest });
  const { server, origin } = await listen((req, res) => {
    const url = req.url ?? '/';
    if (mount === '') return middleware(req, res);
    if (url !== mount && !url.startsWith(`${mount}/`)) {
      res.statusCode = 404;
      res.end('not under the mount point');
      return;
    }
    Object.assign(req, { originalUrl: url, url: url.slice(mount.length) || '/' });
    middleware(req, res);
  });
  return { origin, url: origin + mount, engine: middleware.engine, adapter, close: () => closeServer(server) };
}

/** A sync-collection REPORT body (RFC 6578 §6.1). */
export function syncBody(token: string | null, level: '1' | 'infinite' | null, props = '<D:getetag/>', limit?: number): string {
  return (
    '<?xml version="1.0" encoding="utf-8" ?>' +
    '<D:sync-collection xmlns:D="DAV:">' +
    `<D:sync-token>${token ?? ''}</D:sync-token>` +
    (level === null ? '' : `<D:sync-level>${level}</D:sync-level>`) +
    (limit === undefined ? '' : `<D:limit><D:nresults>${limit}</D:nresults></D:limit>`) +
    `<D:prop>${props}</D:prop>` +
    '</D:sync-collection>'
  );
}
