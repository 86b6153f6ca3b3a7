/**
 * On the fs store a completed resumable upload is not copied: its data
 * file is renamed into place (`adoptable-body.ts`). The member has the
 * upload file's inode, its bytes and checksums (block hashes too) are the
 * upload's, it has the mode a written file gets, and a completion the PUT
 * path refuses (a wrong OC-Checksum, a false If-Match) stores nothing and
 * leaves no file behind in the state directory.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';

let dir: string;
let store: FsStore;
let server: Server;
let origin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-adopt-'));
  store = await openFsStore({ root: join(dir, 'root'), watch: false, reconcileIntervalMs: 0 });
  const middleware = davsync({ engine: store.engine });
  ({ server, origin } = await listen((req, res) => middleware(req, res)));
});
afterAll(async () => {
  await closeServer(server);
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function send(url: string, method: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const hex = (algorithm: string, data: Uint8Array): string => createHash(algorithm).update(data).digest('hex');
const state = (...parts: string[]): string => join(dir, 'root', '.davsync', ...parts);

/** Creates an upload holding `head`; returns its URL and id. */
async function begin(path: string, head: Buffer, headers: Record<string, string> = {}): Promise<{ location: string; id: string }> {
  const r = await send(`${origin}${path}`, 'PUT', { 'upload-complete': '?0', ...headers }, head);
  expect(r.status).toBe(201);
  const location = r.headers['location'] as string;
  return { location, id: location.slice(location.lastIndexOf('/') + 1) };
}

const finish = (location: string, offset: number, rest: Buffer) =>
  send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': String(offset), 'upload-complete': '?1' }, rest);

it('a completed upload becomes the member by a rename: same inode, same bytes, its checksums and block hashes, a normal mode', async () => {
  const data = randomBytes(5 * 1024 * 1024 + 11);
  const { location, id } = await begin('/big.bin', data.subarray(0, 2_000_000), { 'oc-checksum': `SHA1:${hex('sha1', data)}` });
  const upload = await stat(state('uploads', `${id}.data`));
  expect(upload.mode & 0o777).toBe(0o600);
  const done = await finish(location, 2_000_000, data.subarray(2_000_000));
  expect(done.status).toBe(201);
  expect(done.headers['upload-complete']).toBe('?1');

  const member = await stat(join(dir, 'root', 'big.bin'));
  expect(member.ino).toBe(upload.ino); // renamed, not copied
  expect(member.mode & 0o777).toBe(0o666 & ~process.umask());
  expect(hex('sha256', await readFile(join(dir, 'root', 'big.bin')))).toBe(hex('sha256', data));
  const entry = await store.adapter.stat('/big.bin');
  expect(entry?.checksums?.sha1).toBe(hex('sha1', data));
  expect(entry?.checksums?.sha256).toBe(hex('sha256', data));
  expect(entry?.checksums?.['blocks']).toEqual(expect.any(String));
  // Nothing left behind: the upload's record and data, the staging area.
  expect(await readdir(state('uploads'))).toEqual([]);
  expect(await readdir(state('tmp'))).toEqual([]);
  expect((await send(location, 'HEAD')).status).toBe(404);
});

it('overwriting keeps the file ID and gives a new ETag', async () => {
  const first = await send(`${origin}/over.bin`, 'PUT', {}, 'old content');
  const { location } = await begin('/over.bin', Buffer.from('new '));
  const done = await finish(location, 4, Buffer.from('content!'));
  expect(done.status).toBe(204);
  expect(done.headers['oc-fileid']).toBe(first.headers['oc-fileid']);
  expect(done.headers['etag']).not.toBe(first.headers['etag']);
  expect((await send(`${origin}/over.bin`, 'GET')).body.toString()).toBe('new content!');
});

it('a completion refused by the PUT path (wrong OC-Checksum, false If-Match) stores nothing and leaves no file behind', async () => {
  const data = randomBytes(300_000);
  const wrong = await begin('/sum.bin', data.subarray(0, 1000), { 'oc-checksum': `SHA1:${'0'.repeat(40)}` });
  const refused = await finish(wrong.location, 1000, data.subarray(1000));
  expect(refused.status).toBe(400);
  expect(refused.headers['upload-complete']).toBe('?1');
  expect((await send(`${origin}/sum.bin`, 'GET')).status).toBe(404);

  await send(`${origin}/guarded.bin`, 'PUT', {}, 'v1');
  const etag = (await send(`${origin}/guarded.bin`, 'HEAD')).headers['etag'] as string;
  const guarded = await begin('/guarded.bin', data.subarray(0, 1000), { 'if-match': etag });
  await send(`${origin}/guarded.bin`, 'PUT', {}, 'v2'); // someone else wrote meanwhile
  const stale = await finish(guarded.location, 1000, data.subarray(1000));
  expect(stale.status).toBe(412);
  expect((await send(`${origin}/guarded.bin`, 'GET')).body.toString()).toBe('v2');

  expect(await readdir(state('uploads'))).toEqual([]);
  expect(await readdir(state('tmp'))).toEqual([]);
  for (const { location } of [wrong, guarded]) expect((await send(location, 'HEAD')).status).toBe(404);
});

it('an empty upload completes to an empty member', async () => {
  const r = await send(`${origin}/empty.bin`, 'PUT', { 'upload-complete': '?1' }, '');
  expect(r.status).toBe(201);
  expect((await stat(join(dir, 'root', 'empty.bin'))).size).toBe(0);
  expect(await readdir(state('tmp'))).toEqual([]);
});
