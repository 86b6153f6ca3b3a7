/**
 * `davsync(options)` under every host it promises to work with: Express 5,
 * Express 4, Connect and a bare `http.createServer`, at the root and under a
 * mount point. Under a mount point every href it writes (PROPFIND, sync
 * REPORT, the 507 for the request-URI, the HTML index) carries the prefix,
 * and every URI it reads (Destination, If Resource-Tags) is expected to.
 */
import type { RequestListener } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync, type DavsyncMiddleware } from '@davsync/express';
import { closeServer, listen, startServer, syncBody } from '../support/server';
import { D, dav, mkcol, multistatus, propfind, propfindBody, put, rawRequest, report, sync, textOf, XML_HEADERS } from '../support/dav';

type Mount = '' | '/dav';
interface Host {
  readonly name: string;
  readonly mounts: readonly Mount[];
  app(mount: Mount, middleware: DavsyncMiddleware): RequestListener;
}

const hosts: readonly Host[] = [
  {
    name: 'Express 5',
    mounts: ['', '/dav'],
    app(mount, mw) {
      const app = express();
      if (mount === '') app.use(mw);
      else app.use(mount, mw);
      return app;
    },
  },
  {
    name: 'Express 4',
    mounts: ['', '/dav'],
    app(mount, mw) {
      const app = express4();
      if (mount === '') app.use(mw);
      else app.use(mount, mw);
      return app;
    },
  },
  {
    name: 'Connect',
    mounts: ['', '/dav'],
    app(mount, mw) {
      const app = connect();
      if (mount === '') app.use(mw);
      else app.use(mount, mw);
      return app;
    },
  },
  {
    name: 'bare http.createServer',
    mounts: [''],
    app(_, mw) {
      return (req, res) => mw(req, res);
    },
  },
];

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function serve(app: RequestListener): Promise<string> {
  const { server, origin } = await listen(app);
  closers.push(() => closeServer(server));
  return origin;
}

const cases = hosts.flatMap((h) => h.mounts.map((m) => [h.name, m === '' ? 'the root' : m, h, m] as const));

describe.each(cases)('under %s, mounted at %s', (_, __, host, mount) => {
  async function start(): Promise<{ origin: string; url: string }> {
    const origin = await serve(host.app(mount, davsync({ adapter: new MemoryAdapter() })));
    const url = origin + mount;
    await mkcol(`${url}/c/`);
    await mkcol(`${url}/c/sub/`);
    await put(`${url}/c/a.txt`, 'a');
    await put(`${url}/c/sub/b.txt`, 'b');
    return { origin, url };
  }

  it('answers OPTIONS with the DAV header', async () => {
    const { url } = await start();
    const r = await dav(`${url}/`, 'OPTIONS');
    expect(r.status).toBe(200);
    expect(r.headers.get('dav')).toMatch(/\b1\b/);
  });

  it('writes every PROPFIND href with the mount point in front', async () => {
    const { url } = await start();
    const ms = await propfind(`${url}/`, 'infinity', propfindBody('<D:resourcetype/>'));
    expect([...ms.hrefs].sort()).toEqual([`${mount}/`, `${mount}/c/`, `${mount}/c/a.txt`, `${mount}/c/sub/`, `${mount}/c/sub/b.txt`]);
    // The mount point itself, without a trailing slash, is the root collection.
    if (mount !== '') expect((await propfind(url, '0')).hrefs).toEqual([`${mount}/`]);
  });

  it('writes every sync href, and the 507 for the request-URI, with the mount point in front', async () => {
    const { url } = await start();
    const all = await sync(`${url}/c/`, syncBody('', 'infinite'));
    expect([...all.hrefs].sort()).toEqual([`${mount}/c/a.txt`, `${mount}/c/sub/`, `${mount}/c/sub/b.txt`]);
    const page = await sync(`${url}/c/`, syncBody('', 'infinite', '<D:getetag/>', 1));
    expect(page.hrefs).toHaveLength(2);
    expect(page.get(`${mount}/c/`).status).toBe(507);
    expect(page.hrefs.every((h) => h.startsWith(`${mount}/c/`))).toBe(true);
  });

  it('accepts COPY/MOVE Destinations with the mount prefix, as a path or an absolute URI', async () => {
    const { origin, url } = await start();
    expect((await dav(`${url}/c/a.txt`, 'COPY', { headers: { destination: `${mount}/c/copy.txt` } })).status).toBe(201);
    expect((await dav(`${url}/c/a.txt`, 'COPY', { headers: { destination: `${origin}${mount}/c/sub/copy.txt` } })).status).toBe(201);
    expect((await dav(`${url}/c/sub/`, 'MOVE', { headers: { destination: `${mount}/moved/` } })).status).toBe(201);
    expect((await dav(`${url}/c/copy.txt`, 'GET')).text).toBe('a');
    expect((await dav(`${url}/moved/copy.txt`, 'GET')).text).toBe('a');
    expect((await dav(`${url}/moved/b.txt`, 'GET')).text).toBe('b');
  });

  it('evaluates an If Resource-Tag with the mount prefix (RFC 6578 §5)', async () => {
    const { url } = await start();
    const token = (await sync(`${url}/c/`, syncBody('', '1'))).syncToken as string;
    const ok = await dav(`${url}/c/new.txt`, 'PUT', { headers: { if: `<${mount}/c/> (<${token}>)` }, body: 'n' });
    expect(ok.status).toBe(201);
    const stale = await dav(`${url}/c/newer.txt`, 'PUT', { headers: { if: `<${mount}/c/> (<${token}>)` }, body: 'n' });
    expect(stale.status).toBe(412);
  });

  it('serves an absolute-form request target (RFC 9112 §3.2.2) with the mount point in its hrefs', async () => {
    const { origin, url } = await start();
    const r = await rawRequest(origin, 'PROPFIND', `${url}/c/`, { headers: { depth: '1' } });
    expect(r.status).toBe(207);
    expect([...(await multistatus(r.text)).hrefs].sort()).toEqual([`${mount}/c/`, `${mount}/c/a.txt`, `${mount}/c/sub/`]);
    const root = await rawRequest(origin, 'PROPFIND', url === origin ? `${origin}/` : url, { headers: { depth: '0' } });
    expect((await multistatus(root.text)).hrefs).toEqual([`${mount}/`]);
  });

  it('links members in the HTML index with the mount point in front', async () => {
    const { url } = await start();
    const r = await dav(`${url}/c/`, 'GET');
    expect(r.status).toBe(200);
    expect(r.text).toContain(`href="${mount}/c/a.txt"`);
    expect(r.text).toContain(`href="${mount}/c/sub/"`);
  });

  if (mount !== '') {
    it('refuses a Destination outside the mount point with 502', async () => {
      const { origin, url } = await start();
      expect((await dav(`${url}/c/a.txt`, 'COPY', { headers: { destination: '/c/elsewhere.txt' } })).status).toBe(502);
      expect((await dav(`${url}/c/a.txt`, 'MOVE', { headers: { destination: `${origin}/davx/c/a.txt` } })).status).toBe(502);
      expect((await dav(`${url}/c/a.txt`, 'GET')).text).toBe('a');
    });

    it('leaves requests outside the mount point to the host', async () => {
      const { origin } = await start();
      const r = await dav(`${origin}/c/a.txt`, 'GET');
      expect(r.status).toBe(404);
      expect(r.headers.get('etag')).toBeNull();
    });
  }
});

describe('the test helper mount (URL stripped like Connect does, on bare node:http)', () => {
  it('prefixes hrefs and resolves Destinations under /dav', async () => {
    const s = await startServer({ mount: '/dav' });
    closers.push(() => s.close());
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    expect((await propfind(`${s.url}/c/`, '1')).hrefs).toEqual(['/dav/c/', '/dav/c/a.txt']);
    expect((await dav(`${s.url}/c/a.txt`, 'COPY', { headers: { destination: '/dav/c/b.txt' } })).status).toBe(201);
    expect([...(await sync(`${s.url}/c/`, syncBody('', '1'))).hrefs].sort()).toEqual(['/dav/c/a.txt', '/dav/c/b.txt']);
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
])('behind a host body parser under %s', (_, expressOf) => {
  // Each Express brings its own body-parser (2.x for Express 5, 1.x for Express 4).
  async function behind(parser: express.RequestHandler): Promise<string> {
    const app = expressOf();
    app.use(parser);
    app.use('/dav', davsync({ adapter: new MemoryAdapter() }));
    const origin = await serve(app);
    const url = `${origin}/dav`;
    await mkcol(`${url}/c/`);
    return url;
  }

  /** PUT, PROPFIND with a body (only what was asked comes back), REPORT and PROPPATCH all still work. */
  async function expectDavWorks(url: string): Promise<void> {
    const putR = await dav(`${url}/c/a.txt`, 'PUT', { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(putR.status).toBe(201);
    expect((await dav(`${url}/c/a.txt`, 'GET')).text).toBe('hello');

    const ms = await propfind(`${url}/c/`, '1', propfindBody('<D:getcontentlength/>'));
    expect(ms.hrefs).toEqual(['/dav/c/', '/dav/c/a.txt']);
    expect(textOf(ms.get('/dav/c/a.txt').prop(D('getcontentlength')))).toBe('5');
    // The body was read: allprop (what an empty body means) would have sent getetag too.
    expect(ms.get('/dav/c/a.txt').prop(D('getetag'))).toBeUndefined();

    const synced = await sync(`${url}/c/`, syncBody('', '1'));
    expect(synced.hrefs).toEqual(['/dav/c/a.txt']);
    const limited = await report(`${url}/c/`, syncBody('', '1', '<D:getetag/>', 1));
    expect(limited.status).toBe(207);

    const pp = await dav(`${url}/c/a.txt`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:k>v</Z:k></D:prop></D:set></D:propertyupdate>',
    });
    expect(pp.status).toBe(207);
    expect((await multistatus(pp.text)).get('/dav/c/a.txt').propstats.map((p) => p.status)).toEqual([200]);
  }

  it("express.text({ type: '*/*' }) does not break PUT, PROPFIND, REPORT or PROPPATCH", async () => {
    await expectDavWorks(await behind(expressOf.text({ type: '*/*' })));
  });

  it('express.json() does not break PUT, PROPFIND, REPORT or PROPPATCH', async () => {
    await expectDavWorks(await behind(expressOf.json()));
  });

  it("express.raw({ type: '*/*' }) keeps binary PUT bodies byte for byte", async () => {
    const url = await behind(expressOf.raw({ type: '*/*' }));
    await expectDavWorks(url);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    expect((await dav(`${url}/c/bin`, 'PUT', { headers: { 'content-type': 'application/octet-stream' }, body: bytes })).status).toBe(201);
    expect(Buffer.from(await (await fetch(`${url}/c/bin`)).arrayBuffer())).toEqual(Buffer.from(bytes));
  });

  it('fails a JSON PUT whose bytes express.json() already consumed (500, reason to onError) instead of storing an empty file', async () => {
    const errors: unknown[] = [];
    const app = expressOf();
    app.use(expressOf.json());
    app.use('/dav', davsync({ adapter: new MemoryAdapter(), onError: (err) => errors.push(err) }));
    const url = `${await serve(app)}/dav`;
    const json = '{"name":"davsync","n":1}';
    const r = await dav(`${url}/data.json`, 'PUT', { headers: { 'content-type': 'application/json' }, body: json });
    expect(r.status).toBe(500);
    expect((await dav(`${url}/data.json`, 'GET')).status).toBe(404);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/body parser/);
    // The same content under a type the parser leaves alone is stored byte for byte.
    expect((await dav(`${url}/data.json`, 'PUT', { headers: { 'content-type': 'application/octet-stream' }, body: json })).status).toBe(201);
    expect((await dav(`${url}/data.json`, 'GET')).text).toBe(json);
    // A JSON PUT that declared an empty body really is empty: that stays a plain PUT.
    expect((await dav(`${url}/empty.json`, 'PUT', { headers: { 'content-type': 'application/json', 'content-length': '0' } })).status).toBe(201);
    expect((await dav(`${url}/empty.json`, 'GET')).text).toBe('');
    expect(errors).toHaveLength(1);
  });
});
