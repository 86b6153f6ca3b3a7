/**
 * PUT, GET, HEAD and DELETE in process: the neutral handler called with a
 * `DavRequest`, no socket; statuses, headers and bodies as RFC 4918 and
 * RFC 9110 ask. Runs on the store DAVSYNC_TEST_STORE names.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { handlerForThisFile } from '../support/method-calls';

const { req } = handlerForThisFile();

describe('PUT', () => {
  it('creates with 201 and an ETag, replaces with 204 and a new ETag', async () => {
    const created = await req('PUT', '/put-new.txt', { 'content-type': 'text/plain' }, 'one');
    expect(created.status).toBe(201);
    expect(created.headers['etag']).toMatch(/^"[^"]+"$/);
    const replaced = await req('PUT', '/put-new.txt', { 'content-type': 'text/plain' }, 'two');
    expect(replaced.status).toBe(204);
    expect(replaced.headers['etag']).toMatch(/^"[^"]+"$/);
    expect(replaced.headers['etag']).not.toBe(created.headers['etag']);
    expect((await req('GET', '/put-new.txt')).text).toBe('two');
  });

  it('answers a missing parent with 409 and a collection target with 405, storing nothing', async () => {
    expect((await req('PUT', '/no-such-dir/f.txt', {}, 'x')).status).toBe(409);
    expect((await req('GET', '/no-such-dir/f.txt')).status).toBe(404);
    expect((await req('MKCOL', '/put-coll')).status).toBe(201);
    const onCollection = await req('PUT', '/put-coll', {}, 'x');
    expect(onCollection.status).toBe(405);
    expect(onCollection.headers['allow']).toBeDefined();
  });

  it('honours If-None-Match: * (create only) and If-Match (412 on another ETag, keeping the content)', async () => {
    const first = await req('PUT', '/put-cond.txt', { 'if-none-match': '*' }, 'first');
    expect(first.status).toBe(201);
    expect((await req('PUT', '/put-cond.txt', { 'if-none-match': '*' }, 'second')).status).toBe(412);
    expect((await req('PUT', '/put-cond.txt', { 'if-match': '"not-it"' }, 'second')).status).toBe(412);
    expect((await req('GET', '/put-cond.txt')).text).toBe('first');
    expect((await req('PUT', '/put-cond.txt', { 'if-match': String(first.headers['etag']) }, 'second')).status).toBe(204);
    expect((await req('GET', '/put-cond.txt')).text).toBe('second');
  });

  it('refuses a partial PUT (Content-Range) with 400', async () => {
    const r = await req('PUT', '/put-range.txt', { 'content-range': 'bytes 0-1/10' }, 'ab');
    expect(r.status).toBe(400);
    expect((await req('GET', '/put-range.txt')).status).toBe(404);
  });
});

describe('GET and HEAD', () => {
  beforeAll(async () => {
    await req('PUT', '/get.txt', { 'content-type': 'text/plain' }, '0123456789');
  });

  it('GET sends the content with ETag, Content-Type, Content-Length and Last-Modified', async () => {
    const r = await req('GET', '/get.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('0123456789');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.headers['content-length']).toBe('10');
    expect(r.headers['etag']).toMatch(/^"[^"]+"$/);
    expect(Number.isNaN(Date.parse(String(r.headers['last-modified'])))).toBe(false);
  });

  it('HEAD sends the same headers and no body', async () => {
    const get = await req('GET', '/get.txt');
    const head = await req('HEAD', '/get.txt');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    for (const name of ['etag', 'content-type', 'content-length', 'last-modified']) expect([name, head.headers[name]]).toEqual([name, get.headers[name]]);
  });

  it('If-None-Match with the current ETag is 304; a byte range is 206 with Content-Range; past the end is 416', async () => {
    const etag = String((await req('HEAD', '/get.txt')).headers['etag']);
    const notModified = await req('GET', '/get.txt', { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    const partial = await req('GET', '/get.txt', { range: 'bytes=2-4' });
    expect(partial.status).toBe(206);
    expect(partial.text).toBe('234');
    expect(partial.headers['content-range']).toBe('bytes 2-4/10');
    const suffix = await req('GET', '/get.txt', { range: 'bytes=-3' });
    expect([suffix.status, suffix.text]).toEqual([206, '789']);
    const beyond = await req('GET', '/get.txt', { range: 'bytes=50-60' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */10');
  });

  it('a missing member is 404; a collection answers with an HTML page naming its members', async () => {
    expect((await req('GET', '/missing.txt')).status).toBe(404);
    const page = await req('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('get.txt');
  });
});

describe('DELETE', () => {
  it('removes a file (204), then answers 404', async () => {
    await req('PUT', '/del.txt', {}, 'x');
    expect((await req('DELETE', '/del.txt')).status).toBe(204);
    expect((await req('GET', '/del.txt')).status).toBe(404);
    expect((await req('DELETE', '/del.txt')).status).toBe(404);
  });

  it('removes a collection with its members; refuses Depth other than infinity (400) and If-Match with another ETag (412)', async () => {
    expect((await req('MKCOL', '/del-c')).status).toBe(201);
    await req('PUT', '/del-c/a.txt', {}, 'a');
    expect((await req('DELETE', '/del-c/', { depth: '0' })).status).toBe(400);
    expect((await req('DELETE', '/del-c/', { 'if-match': '"other"' })).status).toBe(412);
    expect((await req('GET', '/del-c/a.txt')).status).toBe(200);
    expect((await req('DELETE', '/del-c/')).status).toBe(204);
    expect((await req('GET', '/del-c/a.txt')).status).toBe(404);
    expect((await req('PROPFIND', '/del-c/', { depth: '0' })).status).toBe(404);
  });
});
