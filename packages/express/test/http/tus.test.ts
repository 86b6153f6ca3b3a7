/**
 * tus 1.0 at `/.tus/` (`uploads: { tus: true }`), driven by tus-js-client
 * from Node, on the store this run asks for (DAVSYNC_TEST_STORE: memory,
 * fs, postgres): an upload in chunks becomes the member (bytes, media
 * type, journaled once, the upload gone); an upload interrupted after its
 * first chunk resumes from the server's offset; another user cannot see or
 * touch an upload; bad metadata is a 4xx before a byte is stored; a
 * completion the PUT path refuses (the member is locked) is the final
 * PATCH's 423 and stores nothing; without the option `/.tus/` is not
 * special.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { startServer, type TestServer } from '../support/server';
import { tusUpload as runTusUpload } from '../support/tus-upload';

let s: TestServer;
let who = 'alice';

function send(url: string, method: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'x-user': who, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };

/** tus-js-client against this test's server, as the current user; `abortAfterFirstChunk` stops it after the first PATCH. */
function tusUpload(data: Buffer, options: { metadata?: Record<string, string>; uploadUrl?: string; abortAfterFirstChunk?: boolean }) {
  const { abortAfterFirstChunk, ...rest } = options;
  return runTusUpload(data, { endpoint: `${s.url}/.tus/`, headers: { 'x-user': who }, ...rest, ...(abortAfterFirstChunk === undefined ? {} : { stopAfterFirstChunk: abortAfterFirstChunk }) });
}

let n = 0;
let col: string;
beforeAll(async () => {
  s = await startServer({ user: (req) => req.headers['x-user'] as string | undefined, uploads: { tus: true, maxPerUser: 4 } });
});
afterAll(async () => {
  await s.close();
});
beforeEach(async () => {
  col = `/t${++n}`;
  who = `user${n}`;
  expect((await send(`${s.url}${col}`, 'MKCOL')).status).toBe(201);
});

it('tus-js-client uploads in 1 MiB chunks; the member is whole, typed, journaled once, and the upload is gone', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const before = (await s.engine.journal.collection(col))!.currentRevision;
  const result = await tusUpload(data, { metadata: { path: `${col}/chunked file.bin`, filetype: 'x-test/tus' } });
  expect(result.error).toBeUndefined();
  expect(result.patches).toBe(4);
  expect(result.url).toMatch(/\/\.tus\/[A-Za-z0-9_-]{22}$/);
  const got = await send(`${s.url}${col}/chunked%20file.bin`, 'GET');
  expect(got.status).toBe(200);
  expect(got.headers['content-type']).toBe('x-test/tus');
  expect(sha256(got.body)).toBe(sha256(data));
  const after = (await s.engine.journal.collection(col))!.currentRevision;
  const entries = [];
  for await (const batch of s.engine.journal.scan(col, 'infinite', before, after)) entries.push(...batch);
  expect(entries.map((e) => e.path)).toEqual([`${col}/chunked file.bin`]);
  expect((await send(result.url as string, 'HEAD', TUS)).status).toBe(404);
  expect(await s.adapter.uploads!.list(who)).toEqual([]);
});

it('an upload stopped after its first chunk resumes from the server’s offset and sends only the rest', async () => {
  const data = randomBytes(3 * 1024 * 1024);
  const first = await tusUpload(data, { metadata: { path: `${col}/resumed.bin` }, abortAfterFirstChunk: true });
  expect(first.error).toBeUndefined();
  const head = await send(first.url as string, 'HEAD', TUS);
  expect(head.status).toBe(200);
  expect(head.headers['upload-offset']).toBe(String(1024 * 1024));
  expect(head.headers['upload-length']).toBe(String(data.length));
  expect((await send(`${s.url}${col}/resumed.bin`, 'GET')).status).toBe(404); // nothing visible yet
  const rest = await tusUpload(data, { uploadUrl: first.url as string });
  expect(rest.error).toBeUndefined();
  expect(rest.patches).toBe(2); // the two chunks left, not three
  expect(sha256((await send(`${s.url}${col}/resumed.bin`, 'GET')).body)).toBe(sha256(data));
});

it('another user cannot see, append to or cancel an upload', async () => {
  const first = await tusUpload(randomBytes(2 * 1024 * 1024), { metadata: { path: `${col}/mine.bin` }, abortAfterFirstChunk: true });
  const url = first.url as string;
  const bob = { ...TUS, 'x-user': 'bob' };
  expect((await send(url, 'HEAD', bob)).status).toBe(404);
  const patch = await send(url, 'PATCH', { ...bob, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(1024 * 1024) }, 'evil');
  expect(patch.status).toBe(404);
  expect((await send(url, 'DELETE', bob)).status).toBe(404);
  expect((await send(url, 'HEAD', TUS)).headers['upload-offset']).toBe(String(1024 * 1024));
  expect((await send(url, 'DELETE', TUS)).status).toBe(204);
  expect((await send(url, 'HEAD', TUS)).status).toBe(404);
});

it('bad metadata is a 4xx before a byte is stored', async () => {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const create = (metadata: string) => send(`${s.url}/.tus/`, 'POST', { ...TUS, 'upload-length': '10', 'upload-metadata': metadata });
  expect((await create(`filetype ${b64('text/plain')}`)).status).toBe(400); // no path
  expect((await create(`path ${b64(`${col}/../../etc/passwd`)}`)).status).toBe(400);
  expect((await create(`path ${b64(`${col}/a\u0000b`)}`)).status).toBe(400);
  expect((await create(`path ${b64(`${col}/missing/x.bin`)}`)).status).toBe(409);
  expect((await create(`path ${b64(col)}`)).status).toBe(405); // a collection
  expect((await create(`path ${b64('/.uploads/x')}`)).status).toBe(409);
  expect((await send(`${s.url}/.tus/not-an-id`, 'HEAD', TUS)).status).toBe(404);
  expect((await send(`${s.url}/.tus/`, 'POST', { ...TUS, 'upload-metadata': `path ${b64(`${col}/n.bin`)}` })).status).toBe(400); // no length
  expect(await s.adapter.uploads!.list(who)).toEqual([]);
});

it('hostile appends are a 4xx that changes nothing: a wrong offset, past the length, the wrong media type', async () => {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const created = await send(`${s.url}/.tus/`, 'POST', { ...TUS, 'upload-length': '10', 'upload-metadata': `path ${b64(`${col}/h.bin`)}` });
  expect(created.status).toBe(201);
  const url = created.headers['location'] as string;
  const patch = (headers: Record<string, string>, body: string) => send(url, 'PATCH', { ...TUS, 'content-type': 'application/offset+octet-stream', ...headers }, body);
  expect((await patch({ 'upload-offset': '0' }, 'abc')).status).toBe(204);
  expect((await patch({ 'upload-offset': '1' }, 'xyz')).status).toBe(409);
  expect([400, 413]).toContain((await patch({ 'upload-offset': '3' }, 'x'.repeat(20))).status);
  expect((await patch({ 'upload-offset': 'nope' }, 'x')).status).toBe(400);
  // @tus/server answers a wrong Content-Type 400 (the spec suggests 415): a 4xx either way.
  expect([400, 415]).toContain((await send(url, 'PATCH', { ...TUS, 'content-type': 'text/plain', 'upload-offset': '3' }, 'x')).status);
  const head = await send(url, 'HEAD', TUS);
  expect(head.headers['upload-offset']).toBe('3');
  expect((await send(`${s.url}${col}/h.bin`, 'GET')).status).toBe(404);
});

it('a completion the PUT path refuses (the member is locked by someone else) is the final PATCH’s 423, and stores nothing', async () => {
  const lockinfo = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
  await send(`${s.url}${col}/locked.bin`, 'PUT', { 'x-user': 'carol' }, 'carol’s');
  const lock = await send(`${s.url}${col}/locked.bin`, 'LOCK', { 'x-user': 'carol', 'content-type': 'application/xml', timeout: 'Second-600' }, lockinfo);
  expect(lock.status).toBe(200);
  const result = await tusUpload(randomBytes(100_000), { metadata: { path: `${col}/locked.bin` } });
  expect((result.error as { originalResponse?: { getStatus(): number } } | undefined)?.originalResponse?.getStatus()).toBe(423);
  expect((await send(`${s.url}${col}/locked.bin`, 'GET')).body.toString()).toBe('carol’s');
  expect(await s.adapter.uploads!.list(who)).toEqual([]);
});

it('without the option, /.tus/ is an ordinary path', async () => {
  const plain = await startServer({ uploads: {} });
  try {
    const r = await send(`${plain.url}/.tus/`, 'POST', { ...TUS, 'upload-length': '10' });
    expect(r.headers['tus-resumable']).toBeUndefined();
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  } finally {
    await plain.close();
  }
});
