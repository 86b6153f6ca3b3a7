/**
 * The scaffolding of the client's delta tests (`delta-transfer`,
 * `delta-cdc`): one davsync server per `describe` (memory, fs or
 * PostgreSQL store) whose requests a test may intercept (`hook`), and per
 * test a counting TCP proxy in front of it and a fresh local folder.
 * Call `withDeltaServer` inside a `describe`; it registers the hooks.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import { startDavServer, type TestDavOptions, type TestDavServer } from './davsync-server';
import { startCountingProxy, type CountingProxy } from './counting-proxy';

/** Sees each request before the server: `true` when it answered it itself. */
export type Hook = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;

export interface DeltaServer {
  /** The server (direct URL, the requests it got). */
  readonly server: TestDavServer;
  /** This test's counting proxy in front of it. */
  readonly proxy: CountingProxy;
  /** This test's local folder (empty at its start). */
  readonly dir: string;
  /** This test's interceptor; none at its start. */
  hook: Hook | undefined;
  /** A fresh collection on the shared server: its URL through the proxy, and straight to the server. */
  collection(name: string): Promise<{ url: string; direct: string }>;
  /** The methods of the requests the server got since request number `from`. */
  methods(from: number): string[];
}

export function withDeltaServer(serverOptions: TestDavOptions, tmpPrefix: string): DeltaServer {
  let server: TestDavServer | undefined;
  let proxy: CountingProxy | undefined;
  let tmp: string | undefined;
  let dir: string | undefined;
  const set = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`withDeltaServer: no ${what} outside a test`);
    return value;
  };
  const fixture: DeltaServer = {
    get server() {
      return set(server, 'server');
    },
    get proxy() {
      return set(proxy, 'proxy');
    },
    get dir() {
      return set(dir, 'folder');
    },
    hook: undefined,
    async collection(name) {
      const res = await fetch(`${fixture.server.url}${name}/`, { method: 'MKCOL' });
      expect(res.status).toBe(201);
      return { url: `${fixture.proxy.url}${name}/`, direct: `${fixture.server.url}${name}/` };
    },
    methods: (from) => fixture.server.requests.slice(from).map((r) => r.method),
  };

  beforeAll(async () => {
    server = await startDavServer({ ...serverOptions, before: (req, res) => fixture.hook?.(req, res) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    fixture.hook = undefined;
    tmp = await mkdtemp(join(tmpdir(), tmpPrefix));
    dir = join(tmp, 'folder');
    await mkdir(dir);
    proxy = await startCountingProxy(set(server, 'server').url);
  });
  afterEach(async () => {
    await proxy?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });
  return fixture;
}

/** Reads a request's body whole (the tests' request bodies here are small XML). */
export async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}
