/**
 * PROPFIND and PROPPATCH in process (RFC 4918 §9.1, §9.2): multistatus
 * bodies read with the tests' parser. Runs on the store DAVSYNC_TEST_STORE
 * names.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { D, multistatus, PROPFIND_NAMES, propfindBody, textOf, XML_HEADERS } from '../support/dav';
import { handlerForThisFile } from '../support/method-calls';

const { req } = handlerForThisFile();
beforeAll(async () => {
  await req('MKCOL', '/p');
  await req('PUT', '/p/f.txt', { 'content-type': 'text/plain' }, 'hello');
  await req('MKCOL', '/p/sub');
  await req('PUT', '/p/sub/g.txt', {}, 'g');
});
const X = (local: string): string => `{urn:x}${local}`;
const proppatch = (inner: string): string => `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:x">${inner}</D:propertyupdate>`;

describe('PROPFIND', () => {
  it('Depth 0 describes the resource; 1 adds its members; infinity all descendants', async () => {
    const zero = await req('PROPFIND', '/p/', { depth: '0' });
    expect(zero.status).toBe(207);
    expect((await multistatus(zero.text)).hrefs).toEqual(['/p/']);
    const one = await multistatus((await req('PROPFIND', '/p/', { depth: '1' })).text);
    expect([...one.hrefs].sort()).toEqual(['/p/', '/p/f.txt', '/p/sub/']);
    const all = await multistatus((await req('PROPFIND', '/p/', { depth: 'infinity' })).text);
    expect([...all.hrefs].sort()).toEqual(['/p/', '/p/f.txt', '/p/sub/', '/p/sub/g.txt']);
  });

  it('allprop gives live properties with values; the getetag is the GET ETag; collections have DAV:collection', async () => {
    const ms = await multistatus((await req('PROPFIND', '/p/', { depth: '1' })).text);
    const file = ms.get('/p/f.txt');
    expect(textOf(file.prop(D('getcontentlength')))).toBe('5');
    expect(textOf(file.prop(D('getcontenttype')))).toMatch(/^text\/plain/);
    expect(textOf(file.prop(D('getetag')))).toBe((await req('HEAD', '/p/f.txt')).headers['etag']);
    expect(file.prop(D('resourcetype'))?.children).toEqual([]);
    expect(ms.get('/p/sub/').prop(D('resourcetype'))?.children.map((c) => c.name)).toEqual([D('collection')]);
  });

  it('prop reports what was asked, unknown properties in a 404 propstat; propname gives names without values', async () => {
    const asked = await multistatus((await req('PROPFIND', '/p/f.txt', { ...XML_HEADERS, depth: '0' }, propfindBody('<D:getcontentlength/><x:nope/>', ' xmlns:x="urn:x"'))).text);
    const r = asked.get('/p/f.txt');
    expect(r.statusOf(D('getcontentlength'))).toBe(200);
    expect(r.statusOf(X('nope'))).toBe(404);
    expect(r.prop(D('getetag'))).toBeUndefined();
    const names = await multistatus((await req('PROPFIND', '/p/f.txt', { ...XML_HEADERS, depth: '0' }, PROPFIND_NAMES)).text);
    const etag = names.get('/p/f.txt').prop(D('getetag'));
    expect(etag).toBeDefined();
    expect(textOf(etag)).toBe('');
  });

  it('a missing resource is 404; a malformed body is 400', async () => {
    expect((await req('PROPFIND', '/p/none', { depth: '0' })).status).toBe(404);
    expect((await req('PROPFIND', '/p/', { ...XML_HEADERS, depth: '0' }, '<D:propfind xmlns:D="DAV:"><D:prop>')).status).toBe(400);
  });
});

describe('PROPPATCH', () => {
  it('sets and removes dead properties (207, 200 propstat), which PROPFIND then reports', async () => {
    const set = await req('PROPPATCH', '/p/f.txt', XML_HEADERS, proppatch('<D:set><D:prop><x:color>blue</x:color><x:size>3</x:size></D:prop></D:set>'));
    expect(set.status).toBe(207);
    expect((await multistatus(set.text)).get('/p/f.txt').statusOf(X('color'))).toBe(200);
    const body = propfindBody('<x:color/><x:size/>', ' xmlns:x="urn:x"');
    let found = (await multistatus((await req('PROPFIND', '/p/f.txt', { ...XML_HEADERS, depth: '0' }, body)).text)).get('/p/f.txt');
    expect([textOf(found.prop(X('color'))), textOf(found.prop(X('size')))]).toEqual(['blue', '3']);
    const removed = await req('PROPPATCH', '/p/f.txt', XML_HEADERS, proppatch('<D:remove><D:prop><x:size/></D:prop></D:remove>'));
    expect(removed.status).toBe(207);
    found = (await multistatus((await req('PROPFIND', '/p/f.txt', { ...XML_HEADERS, depth: '0' }, body)).text)).get('/p/f.txt');
    expect(textOf(found.prop(X('color')))).toBe('blue');
    expect(found.statusOf(X('size'))).toBe(404);
  });

  it('a protected property is 403 and the rest 424, applying nothing', async () => {
    const r = await req('PROPPATCH', '/p/f.txt', XML_HEADERS, proppatch('<D:set><D:prop><D:getetag>"x"</D:getetag><x:other>1</x:other></D:prop></D:set>'));
    expect(r.status).toBe(207);
    const entry = (await multistatus(r.text)).get('/p/f.txt');
    expect(entry.statusOf(D('getetag'))).toBe(403);
    expect(entry.statusOf(X('other'))).toBe(424);
    const after = (await multistatus((await req('PROPFIND', '/p/f.txt', { ...XML_HEADERS, depth: '0' }, propfindBody('<x:other/>', ' xmlns:x="urn:x"'))).text)).get('/p/f.txt');
    expect(after.statusOf(X('other'))).toBe(404);
  });

  it('a missing resource is 404; a malformed body is 400', async () => {
    expect((await req('PROPPATCH', '/p/none', XML_HEADERS, proppatch('<D:set><D:prop><x:a>1</x:a></D:prop></D:set>'))).status).toBe(404);
    expect((await req('PROPPATCH', '/p/f.txt', XML_HEADERS, '<D:propertyupdate xmlns:D="DAV:"><D:set>')).status).toBe(400);
  });
});
