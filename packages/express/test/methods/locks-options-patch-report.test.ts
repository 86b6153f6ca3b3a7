/**
 * LOCK and UNLOCK (RFC 4918 §9.10, §9.11), OPTIONS, PATCH (sabre/dav's
 * partial update) and REPORT (RFC 6578 sync-collection) in process: the
 * neutral handler called with a `DavRequest`, no socket. Runs on the store
 * DAVSYNC_TEST_STORE names.
 */
import { describe, expect, it } from '@jest/globals';
import { lockinfo, lockTokenOf } from '../support/handler-call';
import { D, errorConditions, multistatus, textOf, XML_HEADERS } from '../support/dav';
import { handlerForThisFile } from '../support/method-calls';
import { syncBody } from '../support/server';

const { req } = handlerForThisFile();

describe('LOCK and UNLOCK', () => {
  it('locks (200, Lock-Token, lockdiscovery), keeps writers without the token out (423), lets the holder write, unlocks (204)', async () => {
    await req('PUT', '/locked.txt', {}, 'v1');
    const lock = await req('LOCK', '/locked.txt', { ...XML_HEADERS, timeout: 'Second-60' }, lockinfo('exclusive'));
    expect(lock.status).toBe(200);
    const token = lockTokenOf(lock);
    expect(token).toBeDefined();
    expect(lock.text).toContain('lockdiscovery');
    expect(lock.text).toContain(String(token));
    expect((await req('PUT', '/locked.txt', {}, 'v2')).status).toBe(423);
    expect((await req('DELETE', '/locked.txt')).status).toBe(423);
    expect((await req('PUT', '/locked.txt', { if: `(<${token}>)` }, 'v2')).status).toBe(204);
    expect((await req('GET', '/locked.txt')).text).toBe('v2');
    // A second exclusive lock conflicts.
    expect((await req('LOCK', '/locked.txt', XML_HEADERS, lockinfo('exclusive'))).status).toBe(423);
    expect((await req('UNLOCK', '/locked.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect((await req('PUT', '/locked.txt', {}, 'v3')).status).toBe(204);
  });

  it('locking an unmapped URL creates an empty member (201); UNLOCK with an unknown token is 409, without one 400', async () => {
    const lock = await req('LOCK', '/lock-null.txt', XML_HEADERS, lockinfo('exclusive'));
    expect(lock.status).toBe(201);
    const got = await req('GET', '/lock-null.txt');
    expect([got.status, got.text]).toEqual([200, '']);
    expect((await req('UNLOCK', '/lock-null.txt', { 'lock-token': '<urn:uuid:00000000-0000-4000-8000-000000000000>' })).status).toBe(409);
    expect((await req('UNLOCK', '/lock-null.txt')).status).toBe(400);
    expect((await req('UNLOCK', '/lock-null.txt', { 'lock-token': `<${lockTokenOf(lock)}>` })).status).toBe(204);
  });

  it('refreshes a lock with an If header and no body (200, the same token)', async () => {
    await req('PUT', '/refresh.txt', {}, 'x');
    const token = lockTokenOf(await req('LOCK', '/refresh.txt', { ...XML_HEADERS, timeout: 'Second-60' }, lockinfo('shared')));
    const refreshed = await req('LOCK', '/refresh.txt', { if: `(<${token}>)`, timeout: 'Second-120' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).toContain(String(token));
    expect((await req('UNLOCK', '/refresh.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
  });
});

describe('OPTIONS', () => {
  it('advertises DAV classes 1, 2, 3 and every method in Allow, with an empty body', async () => {
    const r = await req('OPTIONS', '/');
    expect(r.status).toBe(200);
    const classes = String(r.headers['dav']).split(',').map((c) => c.trim());
    expect(classes).toEqual(expect.arrayContaining(['1', '2', '3']));
    const allow = String(r.headers['allow']).split(',').map((m) => m.trim());
    expect(allow).toEqual(expect.arrayContaining(['OPTIONS', 'GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'REPORT', 'LOCK', 'UNLOCK']));
    expect(r.headers['accept-patch']).toBe('application/x-sabredav-partialupdate');
    expect(r.text).toBe('');
  });
});

describe('PATCH', () => {
  const TYPE = 'application/x-sabredav-partialupdate';
  const patch = (range: string, body: string, url = '/patch.txt') => req('PATCH', url, { 'content-type': TYPE, 'x-update-range': range }, body);

  it('replaces a range (204, a new ETag), appends, and refuses what it cannot do without changing anything', async () => {
    const put = await req('PUT', '/patch.txt', { 'content-type': 'text/plain' }, '0123456789');
    const r = await patch('bytes=2-4', 'abc');
    expect(r.status).toBe(204);
    expect(r.headers['etag']).not.toBe(put.headers['etag']);
    expect((await req('GET', '/patch.txt')).text).toBe('01abc56789');
    expect((await patch('append', '!')).status).toBe(204);
    expect((await req('GET', '/patch.txt')).text).toBe('01abc56789!');
    const past = await patch('bytes=20-', 'x');
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */11');
    expect((await req('PATCH', '/patch.txt', { 'content-type': 'text/plain', 'x-update-range': 'bytes=0-0' }, 'x')).status).toBe(415);
    expect((await patch('bytes=0-0', 'x', '/patch-missing.txt')).status).toBe(404);
    expect((await patch('bytes=0-0', 'x', '/')).status).toBe(405);
    expect((await patch('nonsense', 'x')).status).toBe(400);
    expect((await req('GET', '/patch.txt')).text).toBe('01abc56789!');
  });
});

describe('REPORT sync-collection', () => {
  it('an initial sync lists the members with a token; a sync from it gives only what changed, removals as 404', async () => {
    await req('MKCOL', '/s');
    await req('PUT', '/s/a.txt', {}, 'a');
    await req('PUT', '/s/b.txt', {}, 'b');
    const initial = await req('REPORT', '/s/', XML_HEADERS, syncBody(null, '1'));
    expect(initial.status).toBe(207);
    const first = await multistatus(initial.text);
    expect([...first.hrefs].sort()).toEqual(['/s/a.txt', '/s/b.txt']);
    expect(textOf(first.get('/s/a.txt').prop(D('getetag')))).toBe((await req('HEAD', '/s/a.txt')).headers['etag']);
    expect(first.syncToken).toBeDefined();
    await req('PUT', '/s/a.txt', {}, 'a2');
    await req('DELETE', '/s/b.txt');
    const delta = await multistatus((await req('REPORT', '/s/', XML_HEADERS, syncBody(String(first.syncToken), '1'))).text);
    expect([...delta.hrefs].sort()).toEqual(['/s/a.txt', '/s/b.txt']);
    expect(delta.get('/s/b.txt').status).toBe(404);
    expect(delta.get('/s/a.txt').status).toBeUndefined();
    expect(delta.syncToken).not.toBe(first.syncToken);
  });

  it('an unknown token is 403 DAV:valid-sync-token; a missing collection 404; a malformed body 400', async () => {
    const bad = await req('REPORT', '/s/', XML_HEADERS, syncBody('http://example.com/not-ours', '1'));
    expect(bad.status).toBe(403);
    expect(await errorConditions(bad.text)).toEqual([D('valid-sync-token')]);
    expect((await req('REPORT', '/nothing/', XML_HEADERS, syncBody(null, '1'))).status).toBe(404);
    expect((await req('REPORT', '/s/', XML_HEADERS, '<D:sync-collection xmlns:D="DAV:">')).status).toBe(400);
  });
});
