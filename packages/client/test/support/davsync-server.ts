/**
 * A davsync server for the client's tests: the Express middleware over a
 * memory store on bare node:http, 127.0.0.1, an OS-chosen port. Every
 * request is logged (method and decoded path) so a test can count what the
 * client fetched; `refuse` lets a test play a server that will not do
 * something (infinite sync, or sync-collection at all).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsStore } from '@davsync/adapter-fs';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { openPostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres } from '@davsync/adapter-postgres/testing';
import { davsync } from '@davsync/express';

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
}

export interface TestDavServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly requests: RequestRecord[];
  /** Drops every open connection (a network failure, a restart behind a proxy); the server goes on listening. */
  dropConnections?(): void;
  close(): Promise<void>;
}

export interface TestDavOptions {
  /**
   * The store behind the server: memory (default), a folder in a temporary
   * directory (adapter-fs), or a database on a throwaway PostgreSQL server
   * started for this server alone (adapter-postgres; `DAVSYNC_TEST_PG_URL` uses an existing one).
   */
  readonly store?: 'memory' | 'fs' | 'postgres';
  /** Server page size for sync-collection: answers are truncated (507) after this many. */
  readonly pageSize?: number;
  /** `infinite`: a REPORT asking for sync-level infinite gets 403; `report`: every REPORT gets 501 (mod_dav's answer). */
  readonly refuse?: 'infinite' | 'report';
  /**
   * Awaited before the server handles a request: a test's way to change
   * things between a client's plan and its write, or (returning true, having
   * answered `res` itself) to play a server that refuses something.
   */
  readonly before?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;
  /** Turn on the server-sent-events change stream (memory store; `{}`: the defaults). */
  readonly changeStream?: { readonly heartbeatMs?: number };
}

export async function startDavServer(options: TestDavOptions = {}): Promise<TestDavServer> {
  const { middleware, release } = await makeMiddleware(options);
  const requests: RequestRecord[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: decodeURIComponent((req.url ?? '/').split('?')[0] as string) });
    if (req.method === 'REPORT' && options.refuse !== undefined) {
      void bodyOf(req).then((body) => {
        if (options.refuse === 'report') {
          res.writeHead(501, { 'content-type': 'text/html' }).end('<p>REPORT not supported for current URL.</p>');
        } else if (body.includes('infinite')) {
          res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:sync-traversal-supported/></D:error>');
        } else {
          // The body was read to look at it: hand it over the way a body parser would.
          Object.assign(req, { body: Buffer.from(body) });
          middleware(req, res);
        }
      });
      return;
    }
    if (options.before === undefined) return middleware(req, res);
    void Promise.resolve(options.before(req, res)).then((handled) => {
      if (handled !== true) middleware(req, res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    dropConnections: () => server.closeAllConnections(),
    close: async () => {
      // Open change streams end first, so closing the server does not wait on them.
      middleware.changeStreams?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await release();
    },
  };
}

async function makeMiddleware(options: TestDavOptions) {
  const paging = options.pageSize === undefined ? {} : { pageSize: options.pageSize };
  if (options.store === 'postgres') {
    const pg = await startTestPostgres();
    const store = await openPostgresStore({ connectionString: await pg.createDatabase('davsync_client'), poolOptions: { max: 4 }, engine: paging });
    return {
      middleware: davsync({ engine: store.engine }),
      release: async () => {
        await store.close();
        await pg.close();
      },
    };
  }
  if (options.store !== 'fs') {
    const middleware = davsync({ adapter: new MemoryAdapter(), ...paging, ...(options.changeStream === undefined ? {} : { changeStream: options.changeStream }) });
    return { middleware, release: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'davsync-client-server-'));
  const store = await openFsStore({ root: join(dir, 'root'), watch: false, reconcileIntervalMs: 0, engine: paging });
  return {
    middleware: davsync({ engine: store.engine }),
    release: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}
