/**
 * PATCH partial update in sabre/dav's dialect (`application/x-sabredav-partialupdate`,
 * `X-Update-Range`) over real HTTP, on the store this run asks for: ranges
 * replaced, files extended and appended to, a new ETag and one journal
 * entry per update, and the refusals (416, 415, 405, 404, 412, 423, 400)
 * that leave the file as it was.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

let n = 0;
let file: string;
let url: string;
beforeEach(async () => {
  const col = `/p${++n}`;
  expect((await fetch(`${s.url}${col}`, { method: 'MKCOL' })).status).toBe(201);
  file = `${col}/f.txt`;
  url = `${s.url}${file}`;
  expect((await fetch(url, { method: 'PUT', body: '0123456789', headers: { 'content-type': 'text/x-test' } })).status).toBe(201);
});

const TYPE = 'application/x-sabredav-partialupdate';
const patch = (range: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'PATCH', body, headers: { 'content-type': TYPE, 'x-update-range': range, ...headers } });
const content = async () => (await fetch(url)).text();

it('replaces a range, with a new ETag and the media type kept', async () => {
  const before = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
  const r = await patch('bytes=2-4', 'abc');
  expect(r.status).toBe(204);
  expect(r.headers.get('etag')).not.toBe(before);
  expect(await content()).toBe('01abc56789');
  expect((await fetch(url, { method: 'HEAD' })).headers.get('content-type')).toBe('text/x-test');
  expect((await fetch(url, { method: 'HEAD' })).headers.get('etag')).toBe(r.headers.get('etag'));
});

it('bytes=START- writes from START, extending the file; append and bytes=-N too', async () => {
  expect((await patch('bytes=8-', 'XYZ')).status).toBe(204);
  expect(await content()).toBe('01234567XYZ');
  expect((await patch('append', '!!')).status).toBe(204);
  expect(await content()).toBe('01234567XYZ!!');
  expect((await patch('bytes=-2', '??')).status).toBe(204);
  expect(await content()).toBe('01234567XYZ??');
  expect((await patch('bytes=13-', 'end')).status).toBe(204); // at the end: an append
  expect(await content()).toBe('01234567XYZ??end');
});

it('is journaled once per update', async () => {
  const col = file.slice(0, file.lastIndexOf('/'));
  const before = (await s.engine.journal.collection(col))!.currentRevision;
  expect((await patch('bytes=0-0', 'A')).status).toBe(204);
  const after = (await s.engine.journal.collection(col))!.currentRevision;
  const entries = [];
  for await (const batch of s.engine.journal.scan(col, 'infinite', before, after)) entries.push(...batch);
  expect(entries.map((e) => e.path)).toEqual([file]);
});

it('refuses, changing nothing: past the end 416, other types 415, a collection 405, no file 404, a stale If-Match 412, a bad range 400', async () => {
  const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag') as string;
  const r416 = await patch('bytes=11-', 'x');
  expect(r416.status).toBe(416);
  expect(r416.headers.get('content-range')).toBe('bytes */10');
  expect((await patch('bytes=-11', 'x')).status).toBe(416);
  expect((await fetch(url, { method: 'PATCH', body: 'x', headers: { 'content-type': 'text/plain', 'x-update-range': 'bytes=0-0' } })).status).toBe(415);
  expect((await fetch(url, { method: 'PATCH', body: 'x' })).status).toBe(415);
  expect((await fetch(url.slice(0, url.lastIndexOf('/')), { method: 'PATCH', body: 'x', headers: { 'content-type': TYPE, 'x-update-range': 'bytes=0-0' } })).status).toBe(405);
  expect((await fetch(`${url}.missing`, { method: 'PATCH', body: 'x', headers: { 'content-type': TYPE, 'x-update-range': 'bytes=0-0' } })).status).toBe(404);
  expect((await patch('bytes=0-0', 'x', { 'if-match': '"stale"' })).status).toBe(412);
  for (const bad of ['bytes=4-2', 'bytes=a-b', 'lines=1-2', 'bytes=1-2,4-5', '']) expect((await patch(bad, 'x')).status).toBe(400);
  expect((await fetch(url, { method: 'PATCH', headers: { 'content-type': TYPE } })).status).toBe(400); // no X-Update-Range
  expect((await patch('bytes=0-4', 'ab')).status).toBe(400); // shorter than the range
  expect((await patch('bytes=0-1', 'abcd', {})).status).toBe(400);
  expect(await content()).toBe('0123456789');
  expect((await fetch(url, { method: 'HEAD' })).headers.get('etag')).toBe(etag);
  // A current If-Match is honoured.
  expect((await patch('bytes=0-0', 'Z', { 'if-match': etag })).status).toBe(204);
  expect(await content()).toBe('Z123456789');
});

it('honours a lock: 423 without the token, 204 with it', async () => {
  const lockBody = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
  const lock = await fetch(url, { method: 'LOCK', body: lockBody, headers: { 'content-type': 'application/xml', timeout: 'Second-60' } });
  expect(lock.status).toBe(200);
  const token = lock.headers.get('lock-token') as string;
  expect((await patch('bytes=0-0', 'L')).status).toBe(423);
  expect(await content()).toBe('0123456789');
  expect((await patch('bytes=0-0', 'L', { if: `(${token})` })).status).toBe(204);
  expect(await content()).toBe('L123456789');
});

it('X-OC-Mtime sets the resulting file\'s time; OC-Checksum checks the whole resulting file (a mismatch is 400, nothing stored)', async () => {
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
  const r = await patch('bytes=2-4', 'abc', { 'x-oc-mtime': '1600000000', 'oc-checksum': `SHA1:${sha1('01abc56789')}` });
  expect(r.status).toBe(204);
  expect(r.headers.get('x-oc-mtime')).toBe('accepted');
  expect(await content()).toBe('01abc56789');
  expect(Date.parse((await fetch(url, { method: 'HEAD' })).headers.get('last-modified')!)).toBe(1600000000 * 1000);
  const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
  // The checksum of the range alone is not the file's: refused, the file as it was.
  const wrong = await patch('bytes=0-1', 'zz', { 'oc-checksum': `SHA1:${sha1('zz')}` });
  expect(wrong.status).toBe(400);
  expect(await content()).toBe('01abc56789');
  expect((await fetch(url, { method: 'HEAD' })).headers.get('etag')).toBe(etag);
  expect((await patch('bytes=0-1', 'zz', { 'oc-checksum': 'SHA1:nothex' })).status).toBe(400);
});
