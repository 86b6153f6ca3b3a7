/**
 * The change feed and file operations against a davsync server (memory
 * store): initial listing, deltas, 507 paging, a refused token, a refused
 * infinite level, no sync-collection at all, conditional writes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, type FeedCursor, type FeedItem, type RemoteChange } from '../src/index';
import { startDavServer, type TestDavOptions, type TestDavServer } from './support/davsync-server';

let tmp: string;
const servers: TestDavServer[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'davsync-client-remote-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: TestDavOptions = {}): Promise<{ server: TestDavServer; remote: RemoteCollection }> {
  const s = await startDavServer(options);
  servers.push(s);
  return { server: s, remote: new RemoteCollection({ url: s.url }) };
}

/** Drains a feed: every change in order, and its end item. */
async function drain(feed: AsyncIterable<FeedItem>): Promise<{ changes: RemoteChange[]; pages: number; end: Extract<FeedItem, { kind: 'end' }> }> {
  const changes: RemoteChange[] = [];
  let pages = 0;
  for await (const item of feed) {
    if (item.kind === 'end') return { changes, pages, end: item };
    pages++;
    changes.push(...item.changes);
  }
  throw new Error('the feed ended without an end item');
}

async function put(remote: RemoteCollection, path: string, text: string): Promise<string> {
  const file = join(tmp, `up-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, text);
  const written = await remote.upload(path, file, {});
  expect(written.etag).toBeDefined();
  return written.etag!;
}

const paths = (changes: RemoteChange[]) => changes.map((c) => (c.type === 'changed' ? `${c.entry.kind}:${c.entry.path}` : `removed:${c.path}`)).sort();

describe('RemoteCollection.changes on a davsync server', () => {
  it('lists everything first (infinite, one scope), then only what changed since the cursor', async () => {
    const { remote } = await server();
    await remote.mkcol('docs');
    await put(remote, 'docs/a b.txt', 'one');
    await put(remote, 'top.txt', 'two');
    const first = await drain(remote.changes());
    expect(paths(first.changes)).toEqual(['dir:docs', 'file:docs/a b.txt', 'file:top.txt']);
    expect(first.end.full).toEqual([{ path: '', recursive: true }]);
    expect(first.end.cursor).toMatchObject({ mode: 'sync', scopes: { '': { level: 'infinite' } } });
    const file = first.changes.find((c) => c.type === 'changed' && c.entry.path === 'top.txt');
    expect(file).toMatchObject({ entry: { size: 3, etag: expect.stringMatching(/^"/) } });

    await put(remote, 'docs/new.txt', 'three');
    await remote.remove('top.txt', {});
    const second = await drain(remote.changes(first.end.cursor));
    expect(paths(second.changes)).toEqual(['file:docs/new.txt', 'removed:top.txt']);
    expect(second.end.full).toEqual([]);
  });

  it('follows 507 truncation page by page with the token each page gives', async () => {
    const { remote, server: s } = await server({ pageSize: 3 });
    for (let i = 0; i < 10; i++) await put(remote, `f${i}.txt`, `content ${i}`);
    const reports = () => s.requests.filter((r) => r.method === 'REPORT').length;
    const before = reports();
    const all = await drain(remote.changes());
    expect(paths(all.changes)).toEqual(Array.from({ length: 10 }, (_, i) => `file:f${i}.txt`).sort());
    expect(reports() - before).toBeGreaterThanOrEqual(4); // 10 members, 3 a page
    expect(all.pages).toBeGreaterThanOrEqual(4);
  });

  it('a client-side limit pages the same way', async () => {
    const s = await startDavServer();
    servers.push(s);
    const remote = new RemoteCollection({ url: s.url, pageSize: 2 });
    for (let i = 0; i < 5; i++) await put(remote, `g${i}`, 'x');
    const all = await drain(remote.changes());
    expect(all.changes).toHaveLength(5);
    expect(all.pages).toBeGreaterThanOrEqual(3);
  });

  it('a refused token (403 valid-sync-token) gives a full listing, flagged', async () => {
    const { remote } = await server();
    await put(remote, 'kept.txt', 'k');
    const cursor: FeedCursor = { mode: 'sync', scopes: { '': { level: 'infinite', token: 'urn:x-not-a-token:1' } } };
    const result = await drain(remote.changes(cursor));
    expect(result.end.tokenRefused).toBe(true);
    expect(result.end.full).toEqual([{ path: '', recursive: true }]);
    expect(paths(result.changes)).toEqual(['file:kept.txt']);
  });

  it('a server that refuses infinite is synced at level 1, one scope per collection', async () => {
    const { remote } = await server({ refuse: 'infinite' });
    await remote.mkcol('a');
    await remote.mkcol('a/b');
    await put(remote, 'a/b/deep.txt', 'd');
    await put(remote, 'root.txt', 'r');
    const first = await drain(remote.changes());
    expect(paths(first.changes)).toEqual(['dir:a', 'dir:a/b', 'file:a/b/deep.txt', 'file:root.txt']);
    expect(first.end.cursor.mode).toBe('sync');
    const scopes = first.end.cursor.mode === 'sync' ? first.end.cursor.scopes : {};
    expect(Object.keys(scopes).sort()).toEqual(['', 'a', 'a/b']);
    expect(Object.values(scopes).every((s) => s.level === '1')).toBe(true);
    expect(first.end.full).toEqual(expect.arrayContaining([{ path: '', recursive: false }, { path: 'a/b', recursive: false }]));

    await put(remote, 'a/b/deep.txt', 'changed');
    await remote.remove('a', {}, true);
    const second = await drain(remote.changes(first.end.cursor));
    expect(paths(second.changes)).toEqual(['removed:a']);
    const after = second.end.cursor.mode === 'sync' ? Object.keys(second.end.cursor.scopes) : [];
    expect(after).toEqual(['']);
  });

  it('a server without sync-collection (REPORT 501) is walked with PROPFIND Depth 1', async () => {
    const { remote, server: s } = await server({ refuse: 'report' });
    await remote.mkcol('x');
    await put(remote, 'x/y.txt', 'y');
    const result = await drain(remote.changes());
    expect(paths(result.changes)).toEqual(['dir:x', 'file:x/y.txt']);
    expect(result.end.cursor).toEqual({ mode: 'propfind' });
    expect(s.requests.filter((r) => r.method === 'PROPFIND').map((r) => r.path)).toEqual(expect.arrayContaining(['/', '/x/']));
    // With the propfind cursor, no REPORT is tried again.
    const reports = s.requests.filter((r) => r.method === 'REPORT').length;
    await drain(remote.changes(result.end.cursor));
    expect(s.requests.filter((r) => r.method === 'REPORT').length).toBe(reports);
  });
});

describe('RemoteCollection file operations', () => {
  it('downloads to a file, and makes every write conditional', async () => {
    const { remote } = await server();
    const etag = await put(remote, 'n.txt', 'first');
    const file = join(tmp, 'down');
    const got = await remote.download('n.txt', file);
    expect(await readFile(file, 'utf8')).toBe('first');
    // The bytes hashed on the way (what oc:checksums is checked against), and the server's time.
    expect(got).toEqual({ etag, size: 5, digests: { sha1: createHash('sha1').update('first').digest('hex'), md5: createHash('md5').update('first').digest('hex') }, modified: expect.any(Number) });

    const src = join(tmp, 'src');
    await writeFile(src, 'second');
    // Someone else changes it: our If-Match on the old ETag must fail, not overwrite.
    const theirs = await put(remote, 'n.txt', 'theirs');
    await expect(remote.upload('n.txt', src, { ifMatch: etag })).rejects.toMatchObject({ kind: 'precondition', status: 412 });
    await expect(remote.upload('n.txt', src, { ifNoneMatch: '*' })).rejects.toMatchObject({ kind: 'precondition' });
    await expect(remote.remove('n.txt', { ifMatch: etag })).rejects.toMatchObject({ kind: 'precondition' });
    await remote.download('n.txt', file);
    expect(await readFile(file, 'utf8')).toBe('theirs');
    const mine = await remote.upload('n.txt', src, { ifMatch: theirs });
    expect(mine.etag).not.toBe(theirs);
    await remote.move('n.txt', 'm.txt', { ifMatch: mine.etag! });
    expect(await remote.stat('n.txt')).toBeUndefined();
    expect(await remote.stat('m.txt')).toMatchObject({ kind: 'file', size: 6 });
    expect(await remote.stat('')).toMatchObject({ kind: 'dir' });
  });

  // The certificate is made with the openssl command; without it there is nothing to test with.
  const withOpenssl = spawnSync('openssl', ['version']).status === 0 ? it : it.skip;
  withOpenssl('says in one line when TLS fails: a self-signed certificate', async () => {
    const key = join(tmp, 'key.pem');
    const cert = join(tmp, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const srv = createHttps({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => res.end());
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
    servers.push({ url: '', requests: [], close: () => new Promise<void>((resolve) => srv.close(() => resolve())) });
    const url = `https://127.0.0.1:${(srv.address() as { port: number }).port}/`;
    const err = await new RemoteCollection({ url }).stat('').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'tls', message: `TLS with ${url.slice(0, -1)} failed: the certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)` });
  });

  it('says in one line what went wrong: no server', async () => {
    const { server: s } = await server();
    const url = s.url;
    await s.close();
    servers.length = 0;
    const gone = new RemoteCollection({ url });
    const err = await gone.stat('').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'connection', message: expect.stringMatching(/^cannot connect to http:\/\/127\.0\.0\.1:\d+: connection refused$/) });
  });
});

describe('server quirks', () => {
  /** A server that answers every REPORT from a script, and counts what it was sent. */
  async function scripted(answer: (body: string) => { status: number; body: string }) {
    const bodies: string[] = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += String(d)));
      req.on('end', () => {
        if (req.headers.authorization === undefined) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
        bodies.push(body);
        const a = answer(body);
        res.writeHead(a.status, { 'content-type': 'application/xml' }).end(a.body);
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
    const port = (srv.address() as { port: number }).port;
    servers.push({ url: '', requests: [], close: () => new Promise<void>((resolve) => srv.close(() => resolve())) });
    return { url: `http://127.0.0.1:${port}/cal/`, bodies };
  }
  const ms = (inner: string) => `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">${inner}</D:multistatus>`;
  const member = (href: string, etag: string) =>
    `<D:response><D:href>${href}</D:href><D:propstat><D:prop><D:getetag>${etag}</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`;

  it('skips the collection listed as its own member, reports names it cannot map, and takes a refused token "0" as a full resync', async () => {
    const { url, bodies } = await scripted((body) =>
      body.includes('<D:sync-token>0</D:sync-token>')
        ? { status: 400, body: '' }
        : { status: 207, body: ms(member('/cal/', '"c"') + member('/cal/e1.ics', '"1"') + member('/cal/a%2Fb.ics', '"2"') + member('/elsewhere/x', '"3"') + '<D:sync-token>0</D:sync-token>') },
    );
    const remote = new RemoteCollection({ url, credentials: { user: 'u', password: 'p' } });
    const first = await drain(remote.changes());
    expect(paths(first.changes)).toEqual(['file:e1.ics']);
    expect(first.end.cursor).toEqual({ mode: 'sync', scopes: { '': { level: 'infinite', token: '0' } } });
    // A name with an encoded slash is reported, not dropped; a member outside the collection is not ours.
    expect(first.end.unreadable).toEqual([{ href: '/cal/a%2Fb.ics', reason: expect.stringContaining('an encoded "/"') }]);
    const second = await drain(remote.changes(first.end.cursor));
    expect(second.end.tokenRefused).toBe(true);
    expect(paths(second.changes)).toEqual(['file:e1.ics']);
    expect(bodies.filter((b) => b.includes('<D:sync-token>0</D:sync-token>'))).toHaveLength(1);
  });

  it('a 401 is one line that says how to give credentials', async () => {
    const { url } = await scripted(() => ({ status: 207, body: ms('<D:sync-token>1</D:sync-token>') }));
    const err = await drain(new RemoteCollection({ url }).changes()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', message: `REPORT ${url}: 401 Unauthorized (give --user NAME:PASSWORD, or set DAVSYNC_USER and DAVSYNC_PASSWORD)` });
  });
});
