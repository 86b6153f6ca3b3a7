/**
 * RFC 4331 over HTTP, on every store (DAVSYNC_TEST_STORE): the quota
 * properties answered when named and left out of allprop, protected from
 * PROPPATCH, and — on the stores with a configured quota (memory,
 * PostgreSQL) — a PUT or COPY past it refused with 507
 * DAV:quota-not-exceeded, storing nothing. The fs store reports its
 * filesystem's figures and has no quota of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { D, dav, errorConditions, mkcol, multistatus, PROPFIND_ALL, PROPFIND_NAMES, propfind, propfindBody, textOf, XML_HEADERS } from '../support/dav';

const STORE = process.env['DAVSYNC_TEST_STORE'] ?? 'memory';
const QUOTA = 1000;
const AVAILABLE = D('quota-available-bytes');
const USED = D('quota-used-bytes');
const BOTH = propfindBody('<D:quota-available-bytes/><D:quota-used-bytes/>');

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ quotaBytes: QUOTA });
});
afterAll(async () => {
  await s.close();
});

/** The two figures of `url` as numbers (undefined: 404), and the status each was reported with. */
async function figures(url: string): Promise<{ available: number | undefined; used: number | undefined; statuses: (number | undefined)[] }> {
  const r = (await propfind(url, '0', BOTH)).responses[0];
  const num = (name: string): number | undefined => {
    const t = textOf(r?.prop(name));
    return t === undefined ? undefined : Number(t);
  };
  return { available: num(AVAILABLE), used: num(USED), statuses: [r?.statusOf(AVAILABLE), r?.statusOf(USED)] };
}

describe('quota properties (all stores)', () => {
  it('are answered on a collection when named: whole decimal numbers of bytes', async () => {
    const f = await figures(`${s.url}/`);
    expect(f.statuses).toEqual([200, 200]);
    for (const v of [f.available, f.used]) expect(Number.isSafeInteger(v) && (v as number) >= 0).toBe(true);
  });

  it('are 404 on a file, and left out of allprop and propname', async () => {
    expect((await dav(`${s.url}/plain.txt`, 'PUT', { body: 'x' })).status).toBe(201);
    expect((await figures(`${s.url}/plain.txt`)).statuses).toEqual([404, 404]);
    for (const body of [PROPFIND_ALL, PROPFIND_NAMES]) {
      const ms = await propfind(`${s.url}/`, '1', body);
      for (const r of ms.responses) expect([r.statusOf(AVAILABLE), r.statusOf(USED)]).toEqual([undefined, undefined]);
    }
  });

  it('are answered for every collection of a Depth 1 listing', async () => {
    await mkcol(`${s.url}/list/`);
    await mkcol(`${s.url}/list/a/`);
    await mkcol(`${s.url}/list/b/`);
    expect((await dav(`${s.url}/list/f.txt`, 'PUT', { body: 'x' })).status).toBe(201);
    const ms = await propfind(`${s.url}/list/`, '1', BOTH);
    const hrefs = ms.hrefs.filter((h) => h.endsWith('/'));
    expect(hrefs.length).toBe(3);
    for (const href of hrefs) expect(ms.get(href).statusOf(USED)).toBe(200);
    expect(ms.responses.find((r) => r.href.endsWith('/f.txt'))?.statusOf(USED)).toBe(404);
  });

  it('cannot be set: PROPPATCH is 403 cannot-modify-protected-property', async () => {
    const body =
      '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:quota-used-bytes>0</D:quota-used-bytes></D:prop></D:set></D:propertyupdate>';
    const r = await dav(`${s.url}/`, 'PROPPATCH', { headers: XML_HEADERS, body });
    expect(r.status).toBe(207);
    const ms = await multistatus(r.text);
    expect(ms.responses[0]?.statusOf(USED)).toBe(403);
  });
});

const quotaStores = STORE === 'fs' ? describe.skip : describe;

quotaStores(`a configured quota (${STORE})`, () => {
  let q: TestServer;
  beforeAll(async () => {
    q = await startServer({ quotaBytes: QUOTA });
  });
  afterAll(async () => {
    await q.close();
  });

  it('reports quota − used as available, and follows PUT, COPY and DELETE', async () => {
    expect(await figures(`${q.url}/`)).toMatchObject({ available: QUOTA, used: 0 });
    await mkcol(`${q.url}/c/`);
    expect((await dav(`${q.url}/c/a`, 'PUT', { body: 'x'.repeat(300) })).status).toBe(201);
    expect(await figures(`${q.url}/c/`)).toMatchObject({ available: 700, used: 300 });
    expect((await dav(`${q.url}/c/`, 'COPY', { headers: { destination: `${q.url}/d/` } })).status).toBe(201);
    expect(await figures(`${q.url}/`)).toMatchObject({ available: 400, used: 600 });
    expect((await dav(`${q.url}/d/`, 'DELETE')).status).toBe(204);
    expect(await figures(`${q.url}/`)).toMatchObject({ available: 700, used: 300 });
  });

  it('refuses a PUT past the quota with 507 DAV:quota-not-exceeded and stores nothing', async () => {
    const r = await dav(`${q.url}/too-big`, 'PUT', { body: 'y'.repeat(701) });
    expect(r.status).toBe(507);
    expect(await errorConditions(r.text)).toEqual([D('quota-not-exceeded')]);
    // The client's limit, not a server failure: the reason is told (and not logged as unexpected).
    expect(r.headers.get('x-davsync-reason')).toMatch(/quota/);
    expect((await dav(`${q.url}/too-big`, 'GET')).status).toBe(404);
    expect(await figures(`${q.url}/`)).toMatchObject({ available: 700, used: 300 });
    // What fits is still taken, and an overwrite counts only the difference.
    expect((await dav(`${q.url}/fits`, 'PUT', { body: 'y'.repeat(700) })).status).toBe(201);
    expect((await dav(`${q.url}/fits`, 'PUT', { body: 'z'.repeat(700) })).status).toBe(204);
    expect(await figures(`${q.url}/`)).toMatchObject({ available: 0, used: 1000 });
    expect((await dav(`${q.url}/fits`, 'DELETE')).status).toBe(204);
  });

  it('refuses a COPY past the quota with 507 and copies nothing', async () => {
    const r = await dav(`${q.url}/c/`, 'COPY', { headers: { destination: `${q.url}/e/` } });
    expect(r.status).toBe(201); // 300 more fits: 600
    const again = await dav(`${q.url}/c/`, 'COPY', { headers: { destination: `${q.url}/f/` } }); // 900 fits too
    expect(again.status).toBe(201);
    const past = await dav(`${q.url}/c/`, 'COPY', { headers: { destination: `${q.url}/g/` } });
    expect(past.status).toBe(507);
    expect(await errorConditions(past.text)).toEqual([D('quota-not-exceeded')]);
    expect((await dav(`${q.url}/g/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
  });
});

quotaStores(`no quota configured (${STORE})`, () => {
  it('reports the bytes used and no available figure (404)', async () => {
    const n = await startServer();
    try {
      expect((await dav(`${n.url}/a`, 'PUT', { body: 'x'.repeat(42) })).status).toBe(201);
      const f = await figures(`${n.url}/`);
      expect(f).toEqual({ available: undefined, used: 42, statuses: [404, 200] });
    } finally {
      await n.close();
    }
  });
});
