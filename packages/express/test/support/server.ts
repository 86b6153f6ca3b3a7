/**
 * Test servers on an ephemeral loopback port. Every test that speaks HTTP
 * starts one with `startServer` and closes it in `afterEach`/`afterAll`.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';
import { openFsStore } from '@davsync/adapter-fs';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { openPostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres, type TestPostgres } from '@davsync/adapter-postgres/testing';
import type { StorageAdapter, SyncEngine } from '@davsync/core';
import { createDavHandler, davsync, type DavHandler, type DavsyncOptions } from '@davsync/express';

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
  options: { mount?: string; adapter?: StorageAdapter; quotaBytes?: number } & Omit<DavsyncOptions, 'adapter' | 'engine'> = {},
): Promise<TestServer> {
  const { mount = '', adapter: given, quotaBytes, ...rest } = options;
  const { made: middleware, adapter, release } = await onTestStore(given, rest, quotaBytes, davsync);
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
  return {
    origin,
    url: origin + mount,
    engine: middleware.engine,
    adapter,
    close: async () => {
      await closeServer(server);
      await release();
    },
  };
}

/** The neutral handler over the test store (as {@link startServer} picks it), called in process: no socket. */
export interface TestHandler {
  readonly handler: DavHandler;
  readonly engine: SyncEngine;
  readonly adapter: StorageAdapter;
  close(): Promise<void>;
}

/** The neutral handler over the given adapter, else over the store the run asks for (`DAVSYNC_TEST_STORE`). */
export async function openHandler(
  options: { adapter?: StorageAdapter; quotaBytes?: number } & Omit<DavsyncOptions, 'adapter' | 'engine'> = {},
): Promise<TestHandler> {
  const { adapter: given, quotaBytes, ...rest } = options;
  const { made: handler, adapter, release } = await onTestStore(given, rest, quotaBytes, createDavHandler);
  return { handler, engine: handler.engine, adapter, close: release };
}

/**
 * `build` (the middleware or the neutral handler) over the given adapter, else over the store the run asks
 * for: the memory adapter by default, a filesystem store in a temporary
 * directory when `DAVSYNC_TEST_STORE=fs`, a PostgreSQL store in a schema
 * of its own when `DAVSYNC_TEST_STORE=postgres` (`npm test` runs the HTTP
 * suites every way). `quotaBytes` goes to the memory and PostgreSQL stores;
 * the fs store reports its filesystem's figures instead.
 */
async function onTestStore<T>(
  given: StorageAdapter | undefined,
  rest: Omit<DavsyncOptions, 'adapter' | 'engine'>,
  quotaBytes: number | undefined,
  build: (options: DavsyncOptions) => T,
): Promise<{ made: T; adapter: StorageAdapter; release: () => Promise<void> }> {
  const mode = process.env['DAVSYNC_TEST_STORE'];
  if (given === undefined && mode === 'postgres') return onPostgres(rest, quotaBytes, build);
  if (given !== undefined || mode !== 'fs') {
    const adapter = given ?? new MemoryAdapter(quotaBytes === undefined ? {} : { quotaBytes });
    return { made: build({ adapter, ...rest }), adapter, release: async () => undefined };
  }
  const { pageSize, retention, checksums, ...http } = rest;
  const dir = await mkdtemp(join(tmpdir(), 'davsync-http-'));
  const store = await openFsStore({
    root: join(dir, 'root'),
    watch: false,
    reconcileIntervalMs: 0,
    engine: { ...(pageSize === undefined ? {} : { pageSize }), ...(retention === undefined ? {} : { retention }), ...(checksums === undefined ? {} : { checksums }) },
  });
  const release = async (): Promise<void> => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { made: await orRelease(() => build({ engine: store.engine, ...http }), release), adapter: store.adapter as StorageAdapter, release };
}

/**
 * The middleware, or the store released before the refusal is rethrown: a
 * test of a bad option must not leave the store's threads and pool open
 * (the fs store's journal thread kept jest from exiting).
 */
async function orRelease<T>(make: () => T, release: () => Promise<void>): Promise<T> {
  try {
    return make();
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * One PostgreSQL database per test file (a throwaway server, or
 * `DAVSYNC_TEST_PG_URL`), started on first use; each test server gets a
 * fresh schema in it, so it starts empty. The database goes when the file
 * is done and its last server is closed (a file may close its servers in
 * its own `afterAll`, which runs after this module's).
 */
let postgres: Promise<{ server: TestPostgres; url: string }> | undefined;
let schemas = 0;
let openStores = 0;
let fileDone = false;

async function stopPostgres(): Promise<void> {
  const pg = postgres;
  postgres = undefined;
  if (pg === undefined) return;
  const { server, url } = await pg;
  await server.dropDatabase(url);
  await server.close();
}

afterAll(async () => {
  fileDone = true;
  if (openStores === 0) await stopPostgres();
}, 60_000);

async function onPostgres<T>(rest: Omit<DavsyncOptions, 'adapter' | 'engine'>, quotaBytes: number | undefined, build: (options: DavsyncOptions) => T) {
  postgres ??= startTestPostgres().then(async (server) => ({ server, url: await server.createDatabase('davsync_http') }));
  const { url } = await postgres;
  const { pageSize, retention, checksums, ...http } = rest;
  const schema = `http_${schemas++}`;
  const store = await openPostgresStore({
    connectionString: url,
    schema,
    poolOptions: { max: 4 },
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
    engine: { ...(pageSize === undefined ? {} : { pageSize }), ...(retention === undefined ? {} : { retention }), ...(checksums === undefined ? {} : { checksums }) },
  });
  openStores++;
  const release = async (): Promise<void> => {
    try {
      await store.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await store.close();
    } finally {
      openStores--;
      if (fileDone && openStores === 0) await stopPostgres();
    }
  };
  return {
    made: await orRelease(() => build({ engine: store.engine, ...http }), release),
    adapter: store.adapter as StorageAdapter,
    release,
  };
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
