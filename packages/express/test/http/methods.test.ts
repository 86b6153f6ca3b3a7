/**
 * RFC 4918 class 1 and 2 methods (and RFC 9110 GET/HEAD/PUT semantics) over real
 * HTTP: status codes, headers, and the multistatus bodies, read back with
 * the project's XML reader.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { startServer, type TestServer } from '../support/server';
import {
  D,
  dav,
  del,
  errorConditions,
  expectEmptyOrXml,
  mkcol,
  multistatus,
  propfind,
  propfindBody,
  PROPFIND_ALL,
  PROPFIND_NAMES,
  put,
  rawRequest,
  textOf,
  XML_HEADERS,
} from '../support/dav';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

/** Every test gets a fresh collection of its own under the shared server. */
let n = 0;
let base: string;
let path: string;
beforeEach(async () => {
  path = `/t${++n}`;
  base = `${s.url}${path}`;
  await mkcol(`${base}/`);
});

const getetag = async (url: string): Promise<string | undefined> =>
  textOf((await propfind(url, '0', propfindBody('<D:getetag/>'))).responses[0]?.prop(D('getetag')));

describe('OPTIONS', () => {
  it('advertises WebDAV classes 1, 2 and 3 and allows every method it implements', async () => {
    const r = await dav(`${base}/`, 'OPTIONS');
    expect(r.status).toBe(200);
    const classes = (r.headers.get('dav') ?? '').split(',').map((c) => c.trim());
    expect(classes).toEqual(['1', '2', '3']);
    const allow = (r.headers.get('allow') ?? '').split(',').map((m) => m.trim());
    for (const m of ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'REPORT', 'LOCK', 'UNLOCK']) {
      expect(allow).toContain(m);
    }
  });
});

describe('LOCK and UNLOCK over HTTP (the store the run asks for)', () => {
  const lockinfo = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>';

  it('locks, keeps writers without the token out, lets the holder write, unlocks', async () => {
    await put(`${base}/a.txt`, 'a');
    const locked = await dav(`${base}/a.txt`, 'LOCK', { headers: { ...XML_HEADERS, timeout: 'Second-60' }, body: lockinfo });
    expect(locked.status).toBe(200);
    const token = /^<(.+)>$/.exec(locked.headers.get('lock-token') ?? '')?.[1] as string;
    expect(token).toMatch(/^urn:uuid:/);
    const refused = await dav(`${base}/a.txt`, 'PUT', { body: 'b' });
    expect(refused.status).toBe(423);
    expect(await errorConditions(refused.text)).toEqual([D('lock-token-submitted')]);
    expect((await dav(`${base}/a.txt`, 'PUT', { body: 'b', headers: { if: `(<${token}>)` } })).status).toBe(204);
    const ms = await propfind(`${base}/a.txt`, '0', propfindBody('<D:lockdiscovery/>'));
    expect(ms.responses[0]?.prop(D('lockdiscovery'))?.children).toHaveLength(1);
    expect((await dav(`${base}/a.txt`, 'UNLOCK', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
    expect((await dav(`${base}/a.txt`, 'PUT', { body: 'c' })).status).toBe(204);
  });

  it('creates an empty member when locking an unmapped URL (201)', async () => {
    const r = await dav(`${base}/new.txt`, 'LOCK', { headers: XML_HEADERS, body: lockinfo });
    expect(r.status).toBe(201);
    const get = await dav(`${base}/new.txt`, 'GET');
    expect(get.status).toBe(200);
    expect(get.text).toBe('');
  });
});

describe('GET and HEAD', () => {
  const content = 'Hello, WebDAV!';
  let etag: string;
  beforeEach(async () => {
    etag = await put(`${base}/hello.txt`, content, 'text/plain; charset=utf-8');
  });

  it('returns the content with ETag, Last-Modified, Content-Type and Content-Length', async () => {
    const r = await dav(`${base}/hello.txt`, 'GET');
    expect(r.status).toBe(200);
    expect(r.text).toBe(content);
    expect(r.headers.get('etag')).toBe(etag);
    expect(r.headers.get('etag')).toBe(await getetag(`${base}/hello.txt`));
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(content)));
    const lastModified = r.headers.get('last-modified') ?? '';
    expect(Number.isNaN(Date.parse(lastModified))).toBe(false);
    expect(lastModified).toMatch(/ GMT$/);
  });

  it('HEAD sends the same headers and no body', async () => {
    const get = await dav(`${base}/hello.txt`, 'GET');
    const head = await dav(`${base}/hello.txt`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    for (const h of ['etag', 'content-type', 'content-length', 'last-modified']) expect(head.headers.get(h)).toBe(get.headers.get(h));
  });

  it('answers If-None-Match with the current ETag (or *) with 304 and the ETag', async () => {
    for (const inm of [etag, '*', `"nope", ${etag}`, `W/${etag}`]) {
      const r = await dav(`${base}/hello.txt`, 'GET', { headers: { 'if-none-match': inm } });
      expect(r.status).toBe(304);
      expect(r.text).toBe('');
      expect(r.headers.get('etag')).toBe(etag);
    }
    expect((await dav(`${base}/hello.txt`, 'HEAD', { headers: { 'if-none-match': etag } })).status).toBe(304);
    const other = await dav(`${base}/hello.txt`, 'GET', { headers: { 'if-none-match': '"something-else"' } });
    expect(other.status).toBe(200);
    expect(other.text).toBe(content);
  });

  it('answers If-Match with another ETag with 412', async () => {
    expect((await dav(`${base}/hello.txt`, 'GET', { headers: { 'if-match': '"other"' } })).status).toBe(412);
    expect((await dav(`${base}/hello.txt`, 'GET', { headers: { 'if-match': etag } })).status).toBe(200);
  });

  it('serves one byte range with 206 and Content-Range', async () => {
    const r = await dav(`${base}/hello.txt`, 'GET', { headers: { range: 'bytes=0-4' } });
    expect(r.status).toBe(206);
    expect(r.text).toBe('Hello');
    expect(r.headers.get('content-range')).toBe(`bytes 0-4/${content.length}`);
    expect(r.headers.get('content-length')).toBe('5');
    const open = await dav(`${base}/hello.txt`, 'GET', { headers: { range: 'bytes=7-' } });
    expect(open.status).toBe(206);
    expect(open.text).toBe('WebDAV!');
    const past = await dav(`${base}/hello.txt`, 'GET', { headers: { range: 'bytes=7-1000' } });
    expect(past.status).toBe(206);
    expect(past.headers.get('content-range')).toBe(`bytes 7-${content.length - 1}/${content.length}`);
  });

  it('serves a suffix range (the last N bytes)', async () => {
    const r = await dav(`${base}/hello.txt`, 'GET', { headers: { range: 'bytes=-7' } });
    expect(r.status).toBe(206);
    expect(r.text).toBe('WebDAV!');
    expect(r.headers.get('content-range')).toBe(`bytes 7-13/${content.length}`);
  });

  it('answers an unsatisfiable range with 416 and Content-Range: bytes */length', async () => {
    const r = await dav(`${base}/hello.txt`, 'GET', { headers: { range: `bytes=${content.length}-` } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe(`bytes */${content.length}`);
  });

  it('ignores the range when If-Range names an older ETag', async () => {
    const r = await dav(`${base}/hello.txt`, 'GET', { headers: { range: 'bytes=0-4', 'if-range': '"old"' } });
    expect(r.status).toBe(200);
    expect(r.text).toBe(content);
  });

  it('answers a missing member with 404 and a collection with an HTML index of its members', async () => {
    expect((await dav(`${base}/missing.txt`, 'GET')).status).toBe(404);
    const r = await dav(`${base}/`, 'GET');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toContain(`href="${path}/hello.txt"`);
  });
});

describe('PUT', () => {
  it('creates with 201, replaces with 204, and its ETag header is the PROPFIND getetag', async () => {
    const created = await dav(`${base}/a.txt`, 'PUT', { headers: { 'content-type': 'text/plain' }, body: 'one' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe(await getetag(`${base}/a.txt`));
    const replaced = await dav(`${base}/a.txt`, 'PUT', { headers: { 'content-type': 'text/plain' }, body: 'two' });
    expect(replaced.status).toBe(204);
    expect(replaced.headers.get('etag')).toBe(await getetag(`${base}/a.txt`));
    expect(replaced.headers.get('etag')).not.toBe(created.headers.get('etag'));
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('two');
  });

  it('stores bytes exactly (binary content round-trips)', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect((await dav(`${base}/bin`, 'PUT', { headers: { 'content-type': 'application/octet-stream' }, body: bytes })).status).toBe(201);
    const res = await fetch(`${base}/bin`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes));
  });

  it('refuses If-None-Match: * on an existing member with 412 and keeps the content', async () => {
    await put(`${base}/a.txt`, 'original');
    const r = await dav(`${base}/a.txt`, 'PUT', { headers: { 'if-none-match': '*' }, body: 'clobber' });
    expect(r.status).toBe(412);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('original');
    expect((await dav(`${base}/new.txt`, 'PUT', { headers: { 'if-none-match': '*' }, body: 'fresh' })).status).toBe(201);
  });

  it('refuses If-Match with another ETag with 412, and accepts the current one', async () => {
    const etag = await put(`${base}/a.txt`, 'original');
    expect((await dav(`${base}/a.txt`, 'PUT', { headers: { 'if-match': '"stale"' }, body: 'x' })).status).toBe(412);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('original');
    expect((await dav(`${base}/a.txt`, 'PUT', { headers: { 'if-match': etag }, body: 'updated' })).status).toBe(204);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('updated');
    // If-Match on a member that does not exist is false too.
    expect((await dav(`${base}/none.txt`, 'PUT', { headers: { 'if-match': '*' }, body: 'x' })).status).toBe(412);
  });

  it('answers a missing parent collection with 409', async () => {
    const r = await dav(`${base}/no/such/parent.txt`, 'PUT', { body: 'x' });
    expect(r.status).toBe(409);
  });

  it('answers PUT to a collection with 405 and an Allow header', async () => {
    await mkcol(`${base}/col/`);
    const r = await dav(`${base}/col/`, 'PUT', { body: 'x' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toContain('PROPFIND');
  });

  it('refuses a partial PUT (Content-Range) with 400 rather than storing a fragment as the whole', async () => {
    await put(`${base}/a.txt`, 'original');
    const r = await dav(`${base}/a.txt`, 'PUT', { headers: { 'content-range': 'bytes 0-1/8' }, body: 'xx' });
    expect(r.status).toBe(400);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('original');
  });
});

describe('DELETE', () => {
  it('removes a collection with everything below it (204)', async () => {
    await mkcol(`${base}/d/`);
    await mkcol(`${base}/d/e/`);
    await put(`${base}/d/e/f.txt`, 'f');
    await put(`${base}/d/g.txt`, 'g');
    const r = await dav(`${base}/d/`, 'DELETE');
    expect(r.status).toBe(204);
    for (const p of ['/d/', '/d/e/', '/d/e/f.txt', '/d/g.txt']) {
      expect((await dav(`${base}${p}`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
    }
    expect((await propfind(`${base}/`, '1')).hrefs).toEqual([`${path}/`]);
  });

  it('removes a file (204) and answers a missing member with 404', async () => {
    await put(`${base}/a.txt`, 'a');
    expect((await dav(`${base}/a.txt`, 'DELETE')).status).toBe(204);
    expect((await dav(`${base}/a.txt`, 'GET')).status).toBe(404);
    expect((await dav(`${base}/a.txt`, 'DELETE')).status).toBe(404);
  });

  it('refuses a collection DELETE with a Depth other than infinity (400) and keeps it', async () => {
    await mkcol(`${base}/d/`);
    expect((await dav(`${base}/d/`, 'DELETE', { headers: { depth: '0' } })).status).toBe(400);
    expect((await dav(`${base}/d/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(207);
    expect((await dav(`${base}/d/`, 'DELETE', { headers: { depth: 'infinity' } })).status).toBe(204);
  });

  it('honours If-Match (412 on another ETag)', async () => {
    await put(`${base}/a.txt`, 'a');
    expect((await dav(`${base}/a.txt`, 'DELETE', { headers: { 'if-match': '"x"' } })).status).toBe(412);
    expect((await dav(`${base}/a.txt`, 'GET')).status).toBe(200);
  });
});

describe('MKCOL', () => {
  it('creates a collection (201) that PROPFIND shows as a collection', async () => {
    const r = await dav(`${base}/new/`, 'MKCOL');
    expect(r.status).toBe(201);
    const ms = await propfind(`${base}/new/`, '0', propfindBody('<D:resourcetype/>'));
    expect(ms.get(`${path}/new/`).prop(D('resourcetype'))?.children.map((c) => c.name)).toEqual([D('collection')]);
  });

  it('answers 405 when a member exists at the URL (collection or file)', async () => {
    await mkcol(`${base}/x/`);
    await put(`${base}/f.txt`, 'f');
    expect((await dav(`${base}/x/`, 'MKCOL')).status).toBe(405);
    expect((await dav(`${base}/f.txt`, 'MKCOL')).status).toBe(405);
    expect((await dav(`${base}/f.txt`, 'GET')).text).toBe('f');
  });

  it('answers 409 when the parent is missing', async () => {
    expect((await dav(`${base}/a/b/`, 'MKCOL')).status).toBe(409);
    expect((await dav(`${base}/a/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
  });

  it('answers a request body with 415 and creates nothing', async () => {
    const r = await dav(`${base}/withbody/`, 'MKCOL', { headers: XML_HEADERS, body: '<D:mkcol xmlns:D="DAV:"/>' });
    expect(r.status).toBe(415);
    expect((await dav(`${base}/withbody/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
  });
});

describe('COPY and MOVE', () => {
  it('COPY accepts an absolute-URI Destination and an absolute-path one; 201 when created', async () => {
    await put(`${base}/src.txt`, 'source');
    const abs = await dav(`${base}/src.txt`, 'COPY', { headers: { destination: `${base}/abs.txt` } });
    expect(abs.status).toBe(201);
    const rel = await dav(`${base}/src.txt`, 'COPY', { headers: { destination: `${path}/rel.txt` } });
    expect(rel.status).toBe(201);
    expect((await dav(`${base}/abs.txt`, 'GET')).text).toBe('source');
    expect((await dav(`${base}/rel.txt`, 'GET')).text).toBe('source');
    expect((await dav(`${base}/src.txt`, 'GET')).text).toBe('source');
  });

  it('answers 204 when an existing destination was replaced (Overwrite absent or T)', async () => {
    await put(`${base}/src.txt`, 'source');
    await put(`${base}/dst.txt`, 'old');
    expect((await dav(`${base}/src.txt`, 'COPY', { headers: { destination: `${path}/dst.txt` } })).status).toBe(204);
    expect((await dav(`${base}/dst.txt`, 'GET')).text).toBe('source');
    await put(`${base}/dst.txt`, 'old again');
    expect((await dav(`${base}/src.txt`, 'COPY', { headers: { destination: `${path}/dst.txt`, overwrite: 'T' } })).status).toBe(204);
  });

  it('answers Overwrite: F onto an existing destination with 412 and changes nothing', async () => {
    await put(`${base}/src.txt`, 'source');
    await put(`${base}/dst.txt`, 'old');
    for (const method of ['COPY', 'MOVE']) {
      const r = await dav(`${base}/src.txt`, method, { headers: { destination: `${path}/dst.txt`, overwrite: 'F' } });
      expect(r.status).toBe(412);
    }
    expect((await dav(`${base}/dst.txt`, 'GET')).text).toBe('old');
    expect((await dav(`${base}/src.txt`, 'GET')).text).toBe('source');
  });

  it('COPY of a collection with Depth: 0 copies the collection and its properties, not its members', async () => {
    await mkcol(`${base}/col/`);
    await put(`${base}/col/member.txt`, 'm');
    await dav(`${base}/col/`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>blue</Z:color></D:prop></D:set></D:propertyupdate>',
    });
    const r = await dav(`${base}/col/`, 'COPY', { headers: { destination: `${path}/shallow/`, depth: '0' } });
    expect(r.status).toBe(201);
    const ms = await propfind(`${base}/shallow/`, '1', propfindBody('<Z:color/>', ' xmlns:Z="urn:z"'));
    expect(ms.hrefs).toEqual([`${path}/shallow/`]);
    expect(textOf(ms.get(`${path}/shallow/`).prop('{urn:z}color'))).toBe('blue');
  });

  it('COPY of a collection with Depth: infinity (or none) copies all members', async () => {
    await mkcol(`${base}/col/`);
    await mkcol(`${base}/col/sub/`);
    await put(`${base}/col/sub/deep.txt`, 'deep');
    expect((await dav(`${base}/col/`, 'COPY', { headers: { destination: `${path}/deepcopy/` } })).status).toBe(201);
    expect((await dav(`${base}/deepcopy/sub/deep.txt`, 'GET')).text).toBe('deep');
    expect((await dav(`${base}/col/`, 'COPY', { headers: { destination: `${path}/copy1/`, depth: '1' } })).status).toBe(400);
  });

  it('MOVE renames: 201 at the destination, 404 at the source, and refuses Depth other than infinity', async () => {
    await mkcol(`${base}/col/`);
    await put(`${base}/col/a.txt`, 'a');
    expect((await dav(`${base}/col/`, 'MOVE', { headers: { destination: `${path}/moved/`, depth: '0' } })).status).toBe(400);
    const r = await dav(`${base}/col/`, 'MOVE', { headers: { destination: `${base}/moved/` } });
    expect(r.status).toBe(201);
    expect((await dav(`${base}/col/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
    expect((await dav(`${base}/moved/a.txt`, 'GET')).text).toBe('a');
  });

  it('answers a Destination on another host with 502', async () => {
    await put(`${base}/src.txt`, 'source');
    for (const method of ['COPY', 'MOVE']) {
      const r = await dav(`${base}/src.txt`, method, { headers: { destination: `http://elsewhere.example${path}/dst.txt` } });
      expect(r.status).toBe(502);
    }
    expect((await dav(`${base}/src.txt`, 'GET')).text).toBe('source');
  });

  it('answers source = destination with 403', async () => {
    await put(`${base}/src.txt`, 'source');
    for (const method of ['COPY', 'MOVE']) {
      expect((await dav(`${base}/src.txt`, method, { headers: { destination: `${path}/src.txt` } })).status).toBe(403);
      expect((await dav(`${base}/src.txt`, method, { headers: { destination: `${base}/src.txt` } })).status).toBe(403);
    }
    expect((await dav(`${base}/src.txt`, 'GET')).text).toBe('source');
  });

  it('answers a missing source with 404, a missing destination parent with 409, and no Destination with 400', async () => {
    expect((await dav(`${base}/none.txt`, 'COPY', { headers: { destination: `${path}/x.txt` } })).status).toBe(404);
    await put(`${base}/src.txt`, 'source');
    expect((await dav(`${base}/src.txt`, 'COPY', { headers: { destination: `${path}/no/parent.txt` } })).status).toBe(409);
    expect((await dav(`${base}/src.txt`, 'MOVE')).status).toBe(400);
  });
});

describe('PROPFIND', () => {
  beforeEach(async () => {
    await mkcol(`${base}/a/`);
    await mkcol(`${base}/a/b/`);
    await put(`${base}/a/b/c.txt`, 'c');
    await put(`${base}/a/x.txt`, 'x', 'text/plain');
  });

  it('Depth: 0 describes the resource only; 1 adds its members; infinity (or no Depth) all descendants', async () => {
    expect((await propfind(`${base}/a/`, '0')).hrefs).toEqual([`${path}/a/`]);
    expect([...(await propfind(`${base}/a/`, '1')).hrefs].sort()).toEqual([`${path}/a/`, `${path}/a/b/`, `${path}/a/x.txt`]);
    const all = [`${path}/a/`, `${path}/a/b/`, `${path}/a/b/c.txt`, `${path}/a/x.txt`];
    expect([...(await propfind(`${base}/a/`, 'infinity')).hrefs].sort()).toEqual(all);
    const noDepth = await dav(`${base}/a/`, 'PROPFIND', { headers: XML_HEADERS, body: PROPFIND_ALL });
    expect(noDepth.status).toBe(207);
    expect([...(await multistatus(noDepth.text)).hrefs].sort()).toEqual(all);
  });

  it('allprop returns the live properties with values, collections marked in resourcetype', async () => {
    const ms = await propfind(`${base}/a/`, '1');
    const file = ms.get(`${path}/a/x.txt`);
    expect(file.propstats.map((p) => p.status)).toEqual([200]);
    expect(textOf(file.prop(D('getetag')))).toBe(await getetag(`${base}/a/x.txt`));
    expect(textOf(file.prop(D('getcontentlength')))).toBe('1');
    expect(textOf(file.prop(D('getcontenttype')))).toBe('text/plain');
    expect(Number.isNaN(Date.parse(textOf(file.prop(D('getlastmodified'))) ?? ''))).toBe(false);
    expect(file.prop(D('resourcetype'))?.children).toEqual([]);
    const col = ms.get(`${path}/a/b/`);
    expect(col.prop(D('resourcetype'))?.children.map((c) => c.name)).toEqual([D('collection')]);
    expect(col.prop(D('getcontentlength'))).toBeUndefined();
  });

  it('an empty body is allprop', async () => {
    const r = await dav(`${base}/a/x.txt`, 'PROPFIND', { headers: { depth: '0' } });
    expect(r.status).toBe(207);
    const ms = await multistatus(r.text);
    expect(ms.get(`${path}/a/x.txt`).prop(D('getetag'))).toBeDefined();
    expect(ms.get(`${path}/a/x.txt`).prop(D('getcontentlength'))).toBeDefined();
  });

  it('propname returns property names without values', async () => {
    const ms = await propfind(`${base}/a/x.txt`, '0', PROPFIND_NAMES);
    const r = ms.get(`${path}/a/x.txt`);
    const found = r.propstats.find((p) => p.status === 200);
    expect([...(found?.props.keys() ?? [])]).toEqual(expect.arrayContaining([D('getetag'), D('resourcetype'), D('getcontentlength')]));
    for (const el of found?.props.values() ?? []) {
      expect(el.children).toEqual([]);
      expect(el.text.trim()).toBe('');
    }
  });

  it('prop returns what was asked for, and unknown properties empty in a 404 propstat', async () => {
    const ms = await propfind(`${base}/a/x.txt`, '0', propfindBody('<D:getetag/><Z:nope/><D:getcontentlength/>', ' xmlns:Z="urn:z"'));
    const r = ms.get(`${path}/a/x.txt`);
    expect(r.propstats.map((p) => p.status)).toEqual([200, 404]);
    expect([...(r.propstats[0]?.props.keys() ?? [])].sort()).toEqual([D('getcontentlength'), D('getetag')]);
    expect([...(r.propstats[1]?.props.keys() ?? [])]).toEqual(['{urn:z}nope']);
  });

  it('answers a missing resource with 404', async () => {
    expect((await dav(`${base}/none/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
  });

  it('with propfindInfinity: false refuses Depth: infinity (and no Depth) with 403 DAV:propfind-finite-depth', async () => {
    const finite = await startServer({ propfindInfinity: false });
    try {
      for (const headers of [{ depth: 'infinity' }, {}] as Array<Record<string, string>>) {
        const r = await dav(`${finite.url}/`, 'PROPFIND', { headers: { ...XML_HEADERS, ...headers }, body: PROPFIND_ALL });
        expect(r.status).toBe(403);
        expect(await errorConditions(r.text)).toEqual([D('propfind-finite-depth')]);
      }
      expect((await dav(`${finite.url}/`, 'PROPFIND', { headers: { depth: '1' } })).status).toBe(207);
    } finally {
      await finite.close();
    }
  });
});

describe('PROPPATCH', () => {
  const update = (ops: string, ns = ' xmlns:Z="urn:example:z"'): string =>
    `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"${ns}>${ops}</D:propertyupdate>`;

  beforeEach(async () => {
    await put(`${base}/doc.txt`, 'doc');
  });

  it('sets dead properties (207, 200 propstat) that PROPFIND returns with their namespace and structure', async () => {
    const r = await dav(`${base}/doc.txt`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: update('<D:set><D:prop><Z:author><Z:name>Jo</Z:name></Z:author><Z:title xml:lang="en">Notes</Z:title></D:prop></D:set>'),
    });
    expect(r.status).toBe(207);
    const res = (await multistatus(r.text)).get(`${path}/doc.txt`);
    expect(res.propstats.map((p) => p.status)).toEqual([200]);
    expect([...(res.propstats[0]?.props.keys() ?? [])].sort()).toEqual(['{urn:example:z}author', '{urn:example:z}title']);

    const ms = await propfind(`${base}/doc.txt`, '0', propfindBody('<Y:author/><Y:title/>', ' xmlns:Y="urn:example:z"'));
    const author = ms.get(`${path}/doc.txt`).prop('{urn:example:z}author');
    expect(author?.children.map((c) => [c.name, c.text])).toEqual([['{urn:example:z}name', 'Jo']]);
    const title = ms.get(`${path}/doc.txt`).prop('{urn:example:z}title');
    expect(textOf(title)).toBe('Notes');
    expect(title?.lang).toBe('en');
    // Dead properties are part of allprop.
    expect((await propfind(`${base}/doc.txt`, '0')).get(`${path}/doc.txt`).prop('{urn:example:z}author')).toBeDefined();
  });

  it('removes dead properties, applies instructions in document order, and persists the result', async () => {
    await dav(`${base}/doc.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: update('<D:set><D:prop><Z:a>1</Z:a><Z:b>2</Z:b></D:prop></D:set>') });
    const r = await dav(`${base}/doc.txt`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: update('<D:remove><D:prop><Z:a/></D:prop></D:remove><D:set><D:prop><Z:b>3</Z:b></D:prop></D:set><D:remove><D:prop><Z:b/></D:prop></D:remove><D:set><D:prop><Z:c>4</Z:c></D:prop></D:set>'),
    });
    expect(r.status).toBe(207);
    const ms = await propfind(`${base}/doc.txt`, '0', propfindBody('<Z:a/><Z:b/><Z:c/>', ' xmlns:Z="urn:example:z"'));
    const res = ms.get(`${path}/doc.txt`);
    expect(res.statusOf('{urn:example:z}a')).toBe(404);
    expect(res.statusOf('{urn:example:z}b')).toBe(404);
    expect(textOf(res.prop('{urn:example:z}c'))).toBe('4');
  });

  it('refuses a protected property with 403 cannot-modify-protected-property, the rest with 424, and applies nothing', async () => {
    const before = await getetag(`${base}/doc.txt`);
    const r = await dav(`${base}/doc.txt`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: update('<D:set><D:prop><Z:ok>yes</Z:ok><D:getetag>"forged"</D:getetag></D:prop></D:set><D:remove><D:prop><Z:other/></D:prop></D:remove>'),
    });
    expect(r.status).toBe(207);
    const res = (await multistatus(r.text)).get(`${path}/doc.txt`);
    const forbidden = res.propstats.find((p) => p.status === 403);
    expect([...(forbidden?.props.keys() ?? [])]).toEqual([D('getetag')]);
    expect(forbidden?.errors).toEqual([D('cannot-modify-protected-property')]);
    const failed = res.propstats.find((p) => p.status === 424);
    expect([...(failed?.props.keys() ?? [])].sort()).toEqual(['{urn:example:z}ok', '{urn:example:z}other']);
    expect(res.propstats).toHaveLength(2);

    const after = await propfind(`${base}/doc.txt`, '0', propfindBody('<Z:ok/><D:getetag/>', ' xmlns:Z="urn:example:z"'));
    expect(after.get(`${path}/doc.txt`).statusOf('{urn:example:z}ok')).toBe(404);
    expect(textOf(after.get(`${path}/doc.txt`).prop(D('getetag')))).toBe(before);
  });

  it('answers a missing resource with 404 and a malformed body with 400', async () => {
    expect((await dav(`${base}/none.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: update('<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set>') })).status).toBe(404);
    expect((await dav(`${base}/doc.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' })).status).toBe(400);
    expect((await dav(`${base}/doc.txt`, 'PROPPATCH', { headers: XML_HEADERS })).status).toBe(400);
  });
});

describe('the If header (RFC 4918 §10.4)', () => {
  let etag: string;
  let otherEtag: string;
  beforeEach(async () => {
    etag = await put(`${base}/a.txt`, 'a');
    otherEtag = await put(`${base}/other.txt`, 'other');
  });
  const putWithIf = (ifHeader: string) => dav(`${base}/a.txt`, 'PUT', { headers: { if: ifHeader }, body: 'changed' });

  it('an untagged list with the current ETag passes; with another ETag it is 412', async () => {
    expect((await putWithIf(`(["stale"])`)).status).toBe(412);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('a');
    expect((await putWithIf(`([${etag}])`)).status).toBe(204);
  });

  it('Not negates a condition', async () => {
    expect((await putWithIf(`(Not [${etag}])`)).status).toBe(412);
    expect((await putWithIf(`(Not ["stale"])`)).status).toBe(204);
  });

  it('conditions in one list are ANDed, lists are ORed', async () => {
    expect((await putWithIf(`([${etag}] ["stale"])`)).status).toBe(412);
    expect((await putWithIf(`(["stale"]) ([${etag}])`)).status).toBe(204);
  });

  it('a tagged list is evaluated against the resource it names, not the request-URI', async () => {
    expect((await putWithIf(`<${path}/other.txt> ([${etag}])`)).status).toBe(412);
    expect((await putWithIf(`<${path}/other.txt> ([${otherEtag}])`)).status).toBe(204);
    expect((await putWithIf(`<${base}/other.txt> ([${otherEtag}])`)).status).toBe(204);
  });

  it('a tagged list naming a URL on another server matches no state (Not makes it true)', async () => {
    expect((await putWithIf(`<http://elsewhere.example/a.txt> ([${etag}])`)).status).toBe(412);
    expect((await putWithIf(`<http://elsewhere.example/a.txt> (Not ["x"])`)).status).toBe(204);
  });

  it('an unknown state token is false; (Not <DAV:no-lock>) is always true', async () => {
    expect((await putWithIf('(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>)')).status).toBe(412);
    expect((await putWithIf('(<DAV:no-lock>)')).status).toBe(412);
    expect((await putWithIf(`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> [${etag}]) (Not <DAV:no-lock> [${etag}])`)).status).toBe(204);
  });

  it('applies to every method that changes state (DELETE, MKCOL, PROPPATCH, COPY, MOVE)', async () => {
    const no = '(["stale"])';
    expect((await dav(`${base}/a.txt`, 'DELETE', { headers: { if: no } })).status).toBe(412);
    expect((await dav(`${base}/newcol/`, 'MKCOL', { headers: { if: `<${path}/a.txt> ${no}` } })).status).toBe(412);
    expect(
      (await dav(`${base}/a.txt`, 'PROPPATCH', { headers: { ...XML_HEADERS, if: no }, body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>' })).status,
    ).toBe(412);
    expect((await dav(`${base}/a.txt`, 'COPY', { headers: { destination: `${path}/c.txt`, if: no } })).status).toBe(412);
    expect((await dav(`${base}/a.txt`, 'MOVE', { headers: { destination: `${path}/m.txt`, if: no } })).status).toBe(412);
    expect([...(await propfind(`${base}/`, '1')).hrefs].sort()).toEqual([`${path}/`, `${path}/a.txt`, `${path}/other.txt`]);
  });

  it.each([
    ['garbage', 'garbage'],
    ['an empty list', '()'],
    ['an unterminated list', '(["x"]'],
    ['tagged and untagged lists mixed', '(["x"]) </t/a.txt> (["x"])'],
    ['a resource tag without a list', '</t/a.txt>'],
    ['an entity tag without quotes', '([abc])'],
    ['a state token that is not a URI', '(<not a uri>)'],
  ])('answers a malformed If header (%s) with 400 and changes nothing', async (_, ifHeader) => {
    const r = await putWithIf(ifHeader);
    expect(r.status).toBe(400);
    await expectEmptyOrXml(r.text);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('a');
  });
});

describe('request targets (RFC 9112 §3.2)', () => {
  it('accepts the absolute-form (GET http://host/path), which a server MUST accept', async () => {
    await put(`${base}/a.txt`, 'absolute');
    const get = await rawRequest(s.origin, 'GET', `${s.origin}${path}/a.txt`);
    expect(get.status).toBe(200);
    expect(get.text).toBe('absolute');
    const made = await rawRequest(s.origin, 'PUT', `${s.origin}${path}/b.txt`, { body: 'b' });
    expect(made.status).toBe(201);
    expect((await dav(`${base}/b.txt`, 'GET')).text).toBe('b');
    const pf = await rawRequest(s.origin, 'PROPFIND', `${s.origin}${path}/`, { headers: { depth: '1' } });
    expect(pf.status).toBe(207);
    expect([...(await multistatus(pf.text)).hrefs].sort()).toEqual([`${path}/`, `${path}/a.txt`, `${path}/b.txt`]);
  });

  it('takes the host of an absolute-form target as this server when resolving a Destination', async () => {
    await put(`${base}/a.txt`, 'a');
    const r = await rawRequest(s.origin, 'COPY', `http://dav.example${path}/a.txt`, {
      headers: { destination: `http://dav.example${path}/copied.txt` },
    });
    expect(r.status).toBe(201);
    expect((await dav(`${base}/copied.txt`, 'GET')).text).toBe('a');
  });

  it('ignores a query string', async () => {
    await put(`${base}/a.txt`, 'a');
    expect((await dav(`${base}/a.txt?download=1`, 'GET')).text).toBe('a');
    expect((await propfind(`${base}/?x=y`, '0')).hrefs).toEqual([`${path}/`]);
  });
});

describe('unknown methods', () => {
  // PATCH is implemented (partial update, uploads): see partial-update.test.ts.
  it.each(['POST', 'SEARCH', 'ACL', 'MKCALENDAR'])('answers %s (not implemented) with 405 and an Allow header', async (method) => {
    const r = await dav(`${base}/`, method);
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toContain('PROPFIND');
  });
});

describe('dead properties survive COPY and MOVE', () => {
  it('copies and moves dead properties with the member', async () => {
    const adapter = new MemoryAdapter();
    const own = await startServer({ adapter });
    try {
      await put(`${own.url}/a.txt`, 'a');
      await dav(`${own.url}/a.txt`, 'PROPPATCH', {
        headers: XML_HEADERS,
        body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:tag>red</Z:tag></D:prop></D:set></D:propertyupdate>',
      });
      expect((await dav(`${own.url}/a.txt`, 'COPY', { headers: { destination: '/b.txt' } })).status).toBe(201);
      expect((await dav(`${own.url}/b.txt`, 'MOVE', { headers: { destination: '/c.txt' } })).status).toBe(201);
      const ms = await propfind(`${own.url}/c.txt`, '0', propfindBody('<Z:tag/>', ' xmlns:Z="urn:z"'));
      expect(textOf(ms.get('/c.txt').prop('{urn:z}tag'))).toBe('red');
      await del(`${own.url}/c.txt`);
    } finally {
      await own.close();
    }
  });
});
