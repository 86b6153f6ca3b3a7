/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload-12, interop
 * version 8) over real HTTP, on the store this run asks for
 * (`DAVSYNC_TEST_STORE`: memory, fs, postgres): creation with a 104 and a
 * Location, an upload cut off mid-body keeping what arrived, HEAD for the
 * offset, PATCH to resume, completion as a PUT (content and sha256 equal
 * the source's, journaled once), a wrong offset, two appenders, expiry on a
 * fake clock, another user, hostile headers.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../support/server';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  interim: Array<{ status: number; headers: Record<string, string> }>;
}

/** One request over node:http, collecting interim (1xx) responses too. */
function send(url: string, method: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const interim: Reply['interim'] = [];
    const req = request(url, { method, headers: { 'x-user': who, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), interim }));
      res.on('error', reject);
    });
    req.on('information', (info) => interim.push({ status: info.statusCode, headers: info.headers as Record<string, string> }));
    req.on('error', reject);
    req.end(body);
  });
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const V = { 'upload-draft-interop-version': '8' };

/** Polls `check` every 20 ms for at most 5 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

let clock = 1_700_000_000_000;
let s: TestServer;
beforeAll(async () => {
  s = await startServer({
    user: (req) => req.headers['x-user'] as string | undefined,
    uploads: { idleExpirySeconds: 3600, maxPerUser: 4, now: () => clock },
  });
});
afterAll(async () => {
  await s.close();
});

let n = 0;
let col: string;
/** Each test is a user of its own, so the per-user bound counts only its uploads. */
let who = 'user0';
beforeEach(async () => {
  col = `/u${++n}`;
  who = `user${n}`;
  expect((await send(`${s.url}${col}`, 'MKCOL')).status).toBe(201);
});

/** Creates an upload with no content; returns its URL. */
async function create(path: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await send(`${s.url}${path}`, 'PUT', { ...V, 'upload-complete': '?0', ...headers }, '');
  expect(r.status).toBe(201);
  expect(r.headers['upload-complete']).toBe('?0');
  return r.headers['location'] as string;
}

/**
 * Sends the head of a resumable PUT and `sent` of its bytes over a raw
 * socket, reads the 104's Location, then cuts the connection (a client
 * killed mid-upload) and waits until the upload reports those bytes.
 */
async function cutOffPut(path: string, data: Buffer, sent: number): Promise<string> {
  const { port } = new URL(s.origin);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  socket.write(
    `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-User: ${who}\r\nUpload-Draft-Interop-Version: 8\r\nUpload-Complete: ?1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`,
  );
  // Handed to the kernel before the client dies, so the server gets them all.
  await new Promise((resolve) => socket.write(data.subarray(0, sent), resolve));
  await until(async () => /\r\n\r\n/.test(received));
  expect(received).toMatch(/^HTTP\/1\.1 104 Upload Resumption Supported\r\n/);
  expect(received).toMatch(/\r\nupload-draft-interop-version: 8\r\n/i);
  const location = /\r\nlocation: ([^\r]+)\r\n/i.exec(received)?.[1] as string;
  expect(location).toMatch(/\/\.uploads\/[A-Za-z0-9_-]{22}$/);
  socket.destroy();
  // The server notices the cut, keeps what arrived, and lets go of the upload.
  await until(async () => (await holds(location)) === sent);
  return location;
}

/** The offset HEAD reports, once the cut-off request has let go of the upload. */
async function holds(location: string): Promise<number> {
  return Number((await send(location, 'HEAD')).headers['upload-offset']);
}

it('an upload cut off mid-body keeps what arrived; HEAD gives the offset; PATCH resumes and completes it as the PUT, journaled once', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const path = `${col}/big.bin`;
  const before = (await s.engine.journal.collection(col))!.currentRevision;
  const location = await cutOffPut(path, data, 1024 * 1024);

  const head = await send(location, 'HEAD');
  expect(head.status).toBe(204);
  expect(head.headers).toMatchObject({ 'upload-complete': '?0', 'upload-offset': String(1024 * 1024), 'upload-length': String(data.length), 'cache-control': 'no-store' });
  expect(head.headers['upload-limit']).toMatch(/max-age=\d+/);
  expect((await send(`${s.url}${path}`, 'GET')).status).toBe(404); // nothing visible yet
  expect((await s.engine.journal.collection(col))!.currentRevision).toBe(before); // nor journaled

  const offset = Number(head.headers['upload-offset']);
  const rest = data.subarray(offset);
  const done = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': String(offset), 'upload-complete': '?1' }, rest);
  expect(done.status).toBe(201);
  expect(done.headers['upload-complete']).toBe('?1');
  expect(done.headers['etag']).toEqual(expect.any(String));

  const got = await send(`${s.url}${path}`, 'GET');
  expect(got.headers['content-type']).toBe('application/octet-stream');
  expect(sha256(got.body)).toBe(sha256(data));
  const after = (await s.engine.journal.collection(col))!.currentRevision;
  const entries = [];
  for await (const batch of s.engine.journal.scan(col, 'infinite', before, after)) entries.push(...batch);
  expect(entries.map((e) => e.path)).toEqual([path]);
  // The upload resource is gone once it became the member.
  expect((await send(location, 'HEAD')).status).toBe(404);
});

it('builds an upload in parts, each PATCH answered with the new offset', async () => {
  const data = randomBytes(200_000);
  const location = await create(`${col}/parts.bin`, { 'upload-length': String(data.length), 'content-type': 'x-test/parts' });
  let offset = 0;
  for (const size of [50_000, 70_000]) {
    const r = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': String(offset), 'upload-complete': '?0' }, data.subarray(offset, offset + size));
    expect(r.status).toBe(204);
    offset += size;
    expect(r.headers['upload-offset']).toBe(String(offset));
  }
  const last = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': String(offset), 'upload-complete': '?1' }, data.subarray(offset));
  expect(last.status).toBe(201);
  const got = await send(`${s.url}${col}/parts.bin`, 'GET');
  expect(got.headers['content-type']).toBe('x-test/parts');
  expect(sha256(got.body)).toBe(sha256(data));
});

it('a PATCH at the wrong offset is a 409 naming the right one, and changes nothing', async () => {
  const location = await create(`${col}/w.bin`);
  await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': '0', 'upload-complete': '?0' }, 'hello');
  const r = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': '3', 'upload-complete': '?0' }, 'xx');
  expect(r.status).toBe(409);
  expect(r.headers).toMatchObject({ 'upload-offset': '5', 'upload-complete': '?0', 'content-type': 'application/problem+json' });
  expect(JSON.parse(r.body.toString())).toMatchObject({ type: 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset', 'expected-offset': 5, 'provided-offset': 3 });
  expect(await holds(location)).toBe(5);
});

it('two clients resuming the same upload: one wins cleanly, the other gets a 409', async () => {
  const location = await create(`${col}/race.bin`);
  const { port } = new URL(s.origin);
  // The first appender is mid-body (sent 1000 of 2000 bytes).
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  socket.write(
    `PATCH ${new URL(location).pathname} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-User: ${who}\r\nContent-Type: application/partial-upload\r\nUpload-Offset: 0\r\nUpload-Complete: ?1\r\nContent-Length: 2000\r\n\r\n${'a'.repeat(1000)}`,
  );
  // Time for the server to take the request and start appending (as client-closed.test.ts does).
  await new Promise((r) => setTimeout(r, 300));
  const second = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': '0', 'upload-complete': '?1' }, 'b'.repeat(2000));
  expect(second.status).toBe(409);
  expect(second.headers['upload-complete']).toBe('?0');
  socket.write('a'.repeat(1000));
  await until(async () => /\r\n\r\n/.test(answer));
  socket.destroy();
  expect(answer).toMatch(/^HTTP\/1\.1 201 /);
  expect((await send(`${s.url}${col}/race.bin`, 'GET')).body.toString()).toBe('a'.repeat(2000));
});

it('an idle upload expires: 404 after its time, and its bytes are swept on the next creation', async () => {
  const location = await create(`${col}/old.bin`);
  await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': '0', 'upload-complete': '?0' }, 'abc');
  const id = location.slice(location.lastIndexOf('/') + 1);
  expect(await s.adapter.uploads!.get(id)).toBeDefined();
  clock += 3600 * 1000 + 1;
  await create(`${col}/new.bin`);
  expect(await s.adapter.uploads!.get(id)).toBeUndefined();
  expect((await send(location, 'HEAD')).status).toBe(404);
});

it('another user cannot see, append to or cancel an upload', async () => {
  const location = await create(`${col}/mine.bin`);
  const bob = { 'x-user': 'bob' };
  expect((await send(location, 'HEAD', bob)).status).toBe(404);
  expect((await send(location, 'PATCH', { ...bob, 'content-type': 'application/partial-upload', 'upload-offset': '0', 'upload-complete': '?1' }, 'evil')).status).toBe(404);
  expect((await send(location, 'DELETE', bob)).status).toBe(404);
  expect(await holds(location)).toBe(0);
});

it('DELETE cancels an upload', async () => {
  const location = await create(`${col}/gone.bin`);
  expect((await send(location, 'DELETE')).status).toBe(204);
  expect((await send(location, 'HEAD')).status).toBe(404);
  expect((await send(`${s.url}${col}/gone.bin`, 'GET')).status).toBe(404);
});

it('hostile headers are a 4xx that changes nothing', async () => {
  const location = await create(`${col}/h.bin`, { 'upload-length': '10' });
  const patch = (headers: Record<string, string>, body = 'abc') => send(location, 'PATCH', { 'content-type': 'application/partial-upload', ...headers }, body);
  expect((await patch({ 'upload-complete': '?0' })).status).toBe(400); // no offset
  expect((await patch({ 'upload-offset': '-1', 'upload-complete': '?0' })).status).toBe(400);
  expect((await patch({ 'upload-offset': '1e3', 'upload-complete': '?0' })).status).toBe(400);
  expect((await patch({ 'upload-offset': '9'.repeat(40), 'upload-complete': '?0' })).status).toBe(400);
  expect((await patch({ 'upload-offset': '0' })).status).toBe(400); // no Upload-Complete
  expect((await patch({ 'upload-offset': '0', 'upload-complete': 'yes' })).status).toBe(400);
  expect((await patch({ 'upload-offset': '0', 'upload-complete': '?0', 'upload-length': '11' })).status).toBe(400); // length changed
  expect((await send(location, 'PATCH', { 'content-type': 'text/plain', 'upload-offset': '0', 'upload-complete': '?0' }, 'abc')).status).toBe(415);
  expect((await patch({ 'upload-offset': '0', 'upload-complete': '?0' }, 'x'.repeat(11))).status).toBe(413); // past the announced length
  expect((await send(`${s.url}/.uploads/../etc`, 'HEAD')).status).toBe(404);
  expect((await send(`${s.url}/.uploads/not-an-id`, 'HEAD')).status).toBe(404);
  const bad = await send(`${s.url}${col}/l.bin`, 'PUT', { ...V, 'upload-complete': '?1', 'upload-length': '5' }, 'abc');
  expect(bad.status).toBe(400); // Upload-Length disagrees with Content-Length
  expect(await holds(location)).toBe(0);
  expect((await send(`${s.url}${col}/h.bin`, 'GET')).status).toBe(404);
});

it('bounds the unfinished uploads per user; OPTIONS names the limits', async () => {
  const list = await s.adapter.uploads!.list('carol');
  expect(list).toEqual([]);
  const carol = { 'x-user': 'carol' };
  for (let i = 0; i < 4; i++) await create(`${col}/c${i}`, carol);
  const refused = await send(`${s.url}${col}/c9`, 'PUT', { ...V, ...carol, 'upload-complete': '?0' }, '');
  expect(refused.status).toBe(507);
  // The client's limit, not a server failure: the reason is told (and not logged as unexpected).
  expect(refused.headers['x-davsync-reason']).toMatch(/unfinished uploads per user/);
  const options = await send(`${s.url}${col}`, 'OPTIONS');
  expect(options.headers['upload-limit']).toMatch(/max-age=3600/);
  expect(options.headers['accept-patch']).toBe('application/x-sabredav-partialupdate');
  expect(options.headers['allow']).toContain('PATCH');
});

it('a PUT with Upload-Complete: ?1 that arrives whole is an ordinary PUT, answered with Upload-Complete: ?1', async () => {
  const r = await send(`${s.url}${col}/whole.txt`, 'PUT', { ...V, 'upload-complete': '?1', 'content-type': 'text/plain' }, 'whole');
  expect(r.status).toBe(201);
  expect(r.headers['upload-complete']).toBe('?1');
  expect(r.interim.map((i) => i.status)).toEqual([104]);
  expect(r.interim[0]?.headers['location']).toMatch(/\/\.uploads\//);
  expect((await send(`${s.url}${col}/whole.txt`, 'GET')).body.toString()).toBe('whole');
  // Without the interop version, no 104 (the draft's rule), but the PUT still works.
  const plain = await send(`${s.url}${col}/plain.txt`, 'PUT', { 'upload-complete': '?1' }, 'plain');
  expect(plain.status).toBe(201);
  expect(plain.interim).toEqual([]);
});

it('a creation the PUT would refuse is refused before a byte is stored: no parent 409, a false If-Match 412', async () => {
  const before = (await s.adapter.uploads!.list(who)).length;
  expect((await send(`${s.url}${col}/missing/x.bin`, 'PUT', { ...V, 'upload-complete': '?0' }, 'abc')).status).toBe(409);
  expect((await send(`${s.url}${col}/x.bin`, 'PUT', { ...V, 'upload-complete': '?0', 'if-match': '"nope"' }, 'abc')).status).toBe(412);
  expect((await s.adapter.uploads!.list(who)).length).toBe(before);
});
