/**
 * The request pipeline (`handler.ts`, `pipeline/`): where `routeOf` sends
 * each kind of request and what access it names, and the order of the
 * steps seen from outside (405 before 414, the response transforms only on
 * a method's answer). In process, on the memory store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { createDavHandler, generateVapidKeys, type DavHandler, type DavRequest } from '@davsync/express';
import { routeOf } from '../../src/pipeline/route';
import { call } from '../support/handler-call';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
const UPLOAD_ID = 'AAAAAAAAAAAAAAAAAAAAAA'; // 22 base64url characters: an upload URL's shape

let full: DavHandler;
let plain: DavHandler;
beforeAll(() => {
  full = createDavHandler({ adapter: new MemoryAdapter(), push: { vapid }, changeStream: {}, limits: { urlLength: 200 } });
  plain = createDavHandler({ adapter: new MemoryAdapter(), uploads: false, limits: { urlLength: 200 } });
});
afterAll(async () => {
  await full.push?.close();
  full.changeStreams?.close();
  await full.engine.close();
  await plain.engine.close();
});

const request = (method: string, url: string, headers: Record<string, string> = {}): DavRequest => ({ method, url, base: '', headers, body: [] as unknown as AsyncIterable<Uint8Array> });
const kindOf = (h: DavHandler, req: DavRequest) => {
  const route = routeOf(req, h);
  return route === undefined ? undefined : { kind: route.kind, access: 'access' in route ? route.access : undefined };
};

describe('routeOf', () => {
  it('sends push registration URLs and upload URLs to their owners, whatever the method', () => {
    expect(full.uploads).toBeDefined();
    expect(kindOf(full, request('GET', '/.webdav-push/some-id'))).toEqual({ kind: 'push-registration', access: undefined });
    expect(kindOf(full, request('DELETE', '/.webdav-push/some-id'))).toEqual({ kind: 'push-registration', access: undefined });
    expect(kindOf(full, request('HEAD', `/.uploads/${UPLOAD_ID}`))).toEqual({ kind: 'upload', access: undefined });
    expect(kindOf(full, request('BREW', `/.uploads/${UPLOAD_ID}`))).toEqual({ kind: 'upload', access: undefined });
    // Without push, the registration URL is an ordinary path; without uploads, so is the upload URL.
    expect(kindOf(plain, request('GET', '/.webdav-push/some-id'))).toEqual({ kind: 'method', access: 'read' });
    expect(kindOf(plain, request('HEAD', `/.uploads/${UPLOAD_ID}`))).toEqual({ kind: 'method', access: 'read' });
  });

  it('a GET asking for text/event-stream is a change stream under sync access, when change streams are on', () => {
    const sse = request('GET', '/cal/', { accept: 'text/event-stream' });
    expect(kindOf(full, sse)).toEqual({ kind: 'change-stream', access: 'sync' });
    expect(kindOf(plain, sse)).toEqual({ kind: 'method', access: 'read' });
    expect(kindOf(full, request('HEAD', '/cal/', { accept: 'text/event-stream' }))).toEqual({ kind: 'method', access: 'read' });
  });

  it('a PUT with Upload-Complete creates a resumable upload under write access; without it, or with uploads off, it is a PUT', () => {
    expect(kindOf(full, request('PUT', '/f', { 'upload-complete': '?0' }))).toEqual({ kind: 'upload-creation', access: 'write' });
    expect(kindOf(full, request('PUT', '/f'))).toEqual({ kind: 'method', access: 'write' });
    expect(kindOf(full, request('PUT', '/f', { 'upload-complete': 'yes' }))).toEqual({ kind: 'method', access: 'write' });
    expect(kindOf(plain, request('PUT', '/f', { 'upload-complete': '?1' }))).toEqual({ kind: 'method', access: 'write' });
  });

  it('names each method\'s target access; POST is a method only with push; unknown tokens are nothing', () => {
    const expected: Record<string, string | undefined> = {
      OPTIONS: undefined,
      GET: 'read',
      PROPFIND: 'read',
      COPY: 'read',
      PUT: 'write',
      PATCH: 'write',
      DELETE: 'write',
      MKCOL: 'write',
      PROPPATCH: 'write',
      MOVE: 'write',
      LOCK: 'write',
      UNLOCK: 'write',
      REPORT: 'sync',
    };
    for (const [method, access] of Object.entries(expected)) expect([method, kindOf(plain, request(method, '/x'))]).toEqual([method, { kind: 'method', access }]);
    expect(kindOf(full, request('POST', '/cal/'))).toEqual({ kind: 'method', access: undefined });
    expect(kindOf(plain, request('POST', '/cal/'))).toBeUndefined();
    for (const token of ['constructor', 'valueOf', '__proto__', 'get', 'BREW']) expect([token, kindOf(full, request(token, '/'))]).toEqual([token, undefined]);
  });
});

describe('the steps in order', () => {
  it('an unserved method is 405 before its URL length is looked at; a served one with a long URL is 414', async () => {
    const long = `/${'a'.repeat(300)}`;
    expect((await call(plain, 'BREW', long)).status).toBe(405);
    expect((await call(plain, 'GET', long)).status).toBe(414);
    expect((await call(full, 'GET', `/.webdav-push/${'a'.repeat(300)}`)).status).toBe(414);
  });

  it('OPTIONS names the upload limit only when uploads are on', async () => {
    expect((await call(full, 'OPTIONS', '/')).headers['upload-limit']).toMatch(/max-age=/);
    expect((await call(plain, 'OPTIONS', '/')).headers['upload-limit']).toBeUndefined();
  });

  it('a method\'s answer is gzip\'d when asked; a push registration\'s refusal is not transformed', async () => {
    const body = 'x'.repeat(5000);
    expect((await call(full, 'PUT', '/big.txt', { 'content-type': 'text/plain' }, body)).status).toBe(201);
    const zipped = await call(full, 'GET', '/big.txt', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['etag']).toMatch(/-gzip"$/);
    const listing = await call(full, 'GET', '/.webdav-push/', { 'accept-encoding': 'gzip' });
    expect(listing.status).toBe(400);
    expect(listing.headers['content-encoding']).toBeUndefined();
    expect(listing.headers['vary']).toBeUndefined();
  });
});
