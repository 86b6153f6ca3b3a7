/**
 * RFC 6578 over real HTTP: every example of §3.8–§3.13 and §5, reproduced
 * with the store built the way a client would build it (MKCOL, PUT,
 * PROPPATCH, DELETE), plus the error cases §3.2 and Appendix A define.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { DavError, SyncEngine, type DeltaCursor, type DeltaOptions } from '@davsync/core';
import { davsync } from '@davsync/express';
import { closeServer, listen, startServer, syncBody, type TestServer } from '../support/server';
import {
  D,
  dav,
  del,
  errorConditions,
  mkcol,
  multistatus,
  propfind,
  propfindBody,
  PROPFIND_ALL,
  put,
  report,
  sync,
  textOf,
  XML_HEADERS,
  type Multistatus,
} from '../support/dav';

const BOX_NS = 'urn:ns.example.com:boxschema';
const BIGBOX = `{${BOX_NS}}bigbox`;
const BOXTYPE = `{${BOX_NS}}BoxType`;
/** The property list of §3.8, §3.9 and §3.13: DAV:getetag and a proprietary property. */
const ETAG_AND_BIGBOX = '<D:getetag/><R:bigbox xmlns:R="urn:ns.example.com:boxschema"/>';
const HOME = '/home/cyrusdaboo';

let servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

/** davsync over an engine the test made itself (for engine options the middleware does not expose). */
async function startWithEngine(engine: SyncEngine): Promise<{ url: string }> {
  const { server, origin } = await listen(davsync({ engine }));
  servers.push({ close: () => closeServer(server) });
  return { url: origin };
}

async function setBigbox(url: string, boxType: string): Promise<void> {
  const r = await dav(url, 'PROPPATCH', {
    headers: XML_HEADERS,
    body:
      '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:R="urn:ns.example.com:boxschema">' +
      `<D:set><D:prop><R:bigbox><R:BoxType>${boxType}</R:BoxType></R:bigbox></D:prop></D:set></D:propertyupdate>`,
  });
  expect(r.status).toBe(207);
  expect((await multistatus(r.text)).responses[0]?.propstats.map((ps) => ps.status)).toEqual([200]);
}

/** The getetag a PROPFIND reports for `url`. */
async function etagOf(url: string): Promise<string> {
  const ms = await propfind(url, '0', propfindBody('<D:getetag/>'));
  const etag = textOf(ms.responses[0]?.prop(D('getetag')));
  expect(etag).toMatch(/^"[^"]+"$/);
  return etag as string;
}

/** The state of §3.8: /home/cyrusdaboo/ with test.doc (which has R:bigbox), vcard.vcf and calendar.ics. */
async function section38Store(url: string): Promise<void> {
  await mkcol(`${url}/home/`);
  await mkcol(`${url}${HOME}/`);
  await put(`${url}${HOME}/test.doc`, 'a document');
  await put(`${url}${HOME}/vcard.vcf`, 'BEGIN:VCARD\r\nFN:Cyrus\r\nEND:VCARD\r\n', 'text/vcard');
  await put(`${url}${HOME}/calendar.ics`, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar');
  await setBigbox(`${url}${HOME}/test.doc`, 'Box type A');
}

/** A member response of a changed member: propstats, no status of its own (§3.2). */
function expectChanged(ms: Multistatus, href: string, etag: string, bigbox: 'found' | 'missing' | 'not-asked'): void {
  const r = ms.get(href);
  expect(r.status).toBeUndefined();
  expect(textOf(r.prop(D('getetag')))).toBe(etag);
  if (bigbox === 'found') {
    expect(r.statusOf(BIGBOX)).toBe(200);
    expect(textOf(r.prop(BIGBOX)?.children.find((c) => c.name === BOXTYPE))).toBe('Box type A');
  } else if (bigbox === 'missing') {
    // An unknown requested property comes back empty in a 404 propstat.
    expect(r.statusOf(BIGBOX)).toBe(404);
    const missing = r.propstats.find((ps) => ps.status === 404);
    expect([...(missing?.props.keys() ?? [])]).toEqual([BIGBOX]);
    expect(missing?.props.get(BIGBOX)?.children).toEqual([]);
  } else {
    expect(r.propstats.map((ps) => ps.status)).toEqual([200]);
  }
}

/** A truncated result: the request-URI reported with 507 and DAV:number-of-matches-within-limits (§3.6). */
function expectTruncated(ms: Multistatus, requestHref: string): void {
  const r = ms.get(requestHref);
  expect(r.status).toBe(507);
  expect(r.propstats).toEqual([]);
  expect(r.errors).toEqual([D('number-of-matches-within-limits')]);
}

/** The member hrefs of a sync response (everything but a 507 for the request-URI). */
const members = (ms: Multistatus, requestHref: string): string[] => ms.hrefs.filter((h) => h !== requestHref);

describe('RFC 6578 §3.8: initial DAV:sync-collection report', () => {
  it('lists every member with its properties, unknown requested properties in a 404 propstat, and returns a URI token', async () => {
    const s = await start();
    await section38Store(s.url);
    const etags = {
      doc: await etagOf(`${s.url}${HOME}/test.doc`),
      vcf: await etagOf(`${s.url}${HOME}/vcard.vcf`),
      ics: await etagOf(`${s.url}${HOME}/calendar.ics`),
    };

    const ms = await sync(`${s.url}${HOME}/`, syncBody('', '1', ETAG_AND_BIGBOX), { depth: '0' });

    expect([...ms.hrefs].sort()).toEqual([`${HOME}/calendar.ics`, `${HOME}/test.doc`, `${HOME}/vcard.vcf`]);
    expectChanged(ms, `${HOME}/test.doc`, etags.doc, 'found');
    expectChanged(ms, `${HOME}/vcard.vcf`, etags.vcf, 'missing');
    expectChanged(ms, `${HOME}/calendar.ics`, etags.ics, 'missing');
    // §3.2 / §4: the token is a URI (an absolute one, so it can stand in an If header).
    expect(ms.syncToken).toMatch(/^[a-z][a-z0-9+.-]*:\S+$/i);
  });

  it('answers with 207 and an XML Content-Type', async () => {
    const s = await start();
    await section38Store(s.url);
    const r = await report(`${s.url}${HOME}/`, syncBody('', '1'), { depth: '0' });
    expect(r.status).toBe(207);
    expect(r.headers.get('content-type')).toMatch(/^(application|text)\/xml\b/);
  });

  it('reports collections among the members too, and never a removal (§3.4)', async () => {
    const s = await start();
    await section38Store(s.url);
    await mkcol(`${s.url}${HOME}/sub/`);
    await put(`${s.url}${HOME}/gone.txt`, 'soon gone');
    await del(`${s.url}${HOME}/gone.txt`);

    const ms = await sync(`${s.url}${HOME}/`, syncBody('', '1'));

    expect([...ms.hrefs].sort()).toEqual([`${HOME}/calendar.ics`, `${HOME}/sub/`, `${HOME}/test.doc`, `${HOME}/vcard.vcf`]);
    expect(ms.responses.every((r) => r.status === undefined && r.propstats.length > 0)).toBe(true);
  });

  it('accepts a pretty-printed empty DAV:sync-token as an initial sync', async () => {
    const s = await start();
    await section38Store(s.url);
    const body = syncBody(null, '1').replace('<D:sync-token></D:sync-token>', '<D:sync-token>\n   \n</D:sync-token>');
    expect(body).toContain('<D:sync-token>\n');
    const ms = await sync(`${s.url}${HOME}/`, body);
    expect(ms.hrefs).toHaveLength(3);
  });
});

describe('RFC 6578 §3.9: DAV:sync-collection report with a token', () => {
  it('reports a new member and a changed member with propstats, a removed member with 404 alone, and a new token', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1', ETAG_AND_BIGBOX));
    const token = first.syncToken as string;

    await put(`${s.url}${HOME}/file.xml`, '<x/>', 'application/xml');
    await put(`${s.url}${HOME}/vcard.vcf`, 'BEGIN:VCARD\r\nFN:Cyrus Daboo\r\nEND:VCARD\r\n', 'text/vcard');
    await del(`${s.url}${HOME}/test.doc`);
    const fileEtag = await etagOf(`${s.url}${HOME}/file.xml`);
    const vcardEtag = await etagOf(`${s.url}${HOME}/vcard.vcf`);
    expect(vcardEtag).not.toBe(textOf(first.get(`${HOME}/vcard.vcf`).prop(D('getetag'))));

    const ms = await sync(`${s.url}${HOME}/`, syncBody(token, '1', ETAG_AND_BIGBOX));

    expect([...ms.hrefs].sort()).toEqual([`${HOME}/file.xml`, `${HOME}/test.doc`, `${HOME}/vcard.vcf`]);
    expectChanged(ms, `${HOME}/file.xml`, fileEtag, 'missing');
    expectChanged(ms, `${HOME}/vcard.vcf`, vcardEtag, 'missing');
    const removed = ms.get(`${HOME}/test.doc`);
    expect(removed.status).toBe(404);
    expect(removed.propstats).toEqual([]);
    expect(ms.syncToken).not.toBe(token);
  });

  it('gives an up-to-date client zero responses and a token that stays valid', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    const second = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, '1'));
    expect(second.responses).toEqual([]);
    const third = await sync(`${s.url}${HOME}/`, syncBody(second.syncToken as string, '1'));
    expect(third.responses).toEqual([]);
    // …and the next change is still seen through it.
    await put(`${s.url}${HOME}/late.txt`, 'late');
    const fourth = await sync(`${s.url}${HOME}/`, syncBody(third.syncToken as string, '1'));
    expect(fourth.hrefs).toEqual([`${HOME}/late.txt`]);
  });

  it('reports a member created then removed between two syncs as removed (§3.5.2)', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    await put(`${s.url}${HOME}/brief.txt`, 'brief');
    await del(`${s.url}${HOME}/brief.txt`);
    const ms = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, '1'));
    expect(ms.hrefs).toEqual([`${HOME}/brief.txt`]);
    expect(ms.get(`${HOME}/brief.txt`).status).toBe(404);
  });

  it('reports a member removed then re-created as changed, never removed (§3.5.1)', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    await del(`${s.url}${HOME}/calendar.ics`);
    await put(`${s.url}${HOME}/calendar.ics`, 'BEGIN:VCALENDAR\r\nX:2\r\nEND:VCALENDAR\r\n', 'text/calendar');
    const ms = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, '1'));
    expect(ms.hrefs).toEqual([`${HOME}/calendar.ics`]);
    expectChanged(ms, `${HOME}/calendar.ics`, await etagOf(`${s.url}${HOME}/calendar.ics`), 'not-asked');
  });

  it('reports members newly mapped by COPY and MOVE as changed and the MOVE source as removed', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    expect((await dav(`${s.url}${HOME}/calendar.ics`, 'COPY', { headers: { destination: `${HOME}/copy.ics` } })).status).toBe(201);
    expect((await dav(`${s.url}${HOME}/vcard.vcf`, 'MOVE', { headers: { destination: `${HOME}/moved.vcf` } })).status).toBe(201);
    const ms = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, '1'));
    expect([...ms.hrefs].sort()).toEqual([`${HOME}/copy.ics`, `${HOME}/moved.vcf`, `${HOME}/vcard.vcf`]);
    expect(ms.get(`${HOME}/vcard.vcf`).status).toBe(404);
    expect(ms.get(`${HOME}/moved.vcf`).status).toBeUndefined();
    expect(ms.get(`${HOME}/copy.ics`).status).toBeUndefined();
  });

  it('reports a member whose dead properties changed (PROPPATCH) as changed', async () => {
    const s = await start();
    await section38Store(s.url);
    const first = await sync(`${s.url}${HOME}/`, syncBody('', '1', ETAG_AND_BIGBOX));
    await setBigbox(`${s.url}${HOME}/calendar.ics`, 'Box type A');
    const ms = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, '1', ETAG_AND_BIGBOX));
    expect(ms.hrefs).toEqual([`${HOME}/calendar.ics`]);
    expect(ms.get(`${HOME}/calendar.ics`).statusOf(BIGBOX)).toBe(200);
  });
});

describe('RFC 6578 §3.10: initial report truncated by the server', () => {
  it('reports the request-URI with 507 and DAV:number-of-matches-within-limits, and a token that pages on', async () => {
    const s = await start({ pageSize: 2 });
    await section38Store(s.url);
    const collection = `${HOME}/`;

    const page1 = await sync(`${s.url}${collection}`, syncBody('', '1'), { depth: '0' });
    expect(members(page1, collection)).toHaveLength(2);
    expectTruncated(page1, collection);
    expect(page1.responses[page1.responses.length - 1]?.href).toBe(collection);

    const page2 = await sync(`${s.url}${collection}`, syncBody(page1.syncToken as string, '1'));
    expect(members(page2, collection)).toHaveLength(1);
    expect(page2.hrefs).not.toContain(collection);
    expect([...members(page1, collection), ...members(page2, collection)].sort()).toEqual([
      `${HOME}/calendar.ics`,
      `${HOME}/test.doc`,
      `${HOME}/vcard.vcf`,
    ]);

    const page3 = await sync(`${s.url}${collection}`, syncBody(page2.syncToken as string, '1'));
    expect(page3.responses).toEqual([]);
  });

  it('gives the PROPFIND sync-token of the collection only once the last page is read', async () => {
    const s = await start({ pageSize: 2 });
    await section38Store(s.url);
    const page1 = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    const page2 = await sync(`${s.url}${HOME}/`, syncBody(page1.syncToken as string, '1'));
    const current = textOf((await propfind(`${s.url}${HOME}/`, '0', propfindBody('<D:sync-token/>'))).responses[0]?.prop(D('sync-token')));
    expect(page1.syncToken).not.toBe(current);
    expect(page2.syncToken).toBe(current);
  });
});

describe('RFC 6578 §3.11: initial report with a client DAV:limit', () => {
  it('returns at most nresults members, the 507 for the request-URI, and a token for exactly that part', async () => {
    const s = await start();
    await section38Store(s.url);
    const collection = `${HOME}/`;
    const page1 = await sync(`${s.url}${collection}`, syncBody('', '1', '<D:getetag/>', 1), { depth: '0' });
    expect(members(page1, collection)).toHaveLength(1);
    expectTruncated(page1, collection);
    const [first] = members(page1, collection);
    expect(textOf(page1.get(first as string).prop(D('getetag')))).toMatch(/^"/);

    const seen = [...members(page1, collection)];
    let token = page1.syncToken as string;
    for (let i = 0; i < 5; i++) {
      const page = await sync(`${s.url}${collection}`, syncBody(token, '1', '<D:getetag/>', 1));
      seen.push(...members(page, collection));
      token = page.syncToken as string;
      if (!page.hrefs.includes(collection)) break;
    }
    expect(seen.sort()).toEqual([`${HOME}/calendar.ics`, `${HOME}/test.doc`, `${HOME}/vcard.vcf`]);
  });

  it('does not truncate, and sends no 507, when the changes fit the limit', async () => {
    const s = await start();
    await section38Store(s.url);
    const ms = await sync(`${s.url}${HOME}/`, syncBody('', '1', '<D:getetag/>', 3));
    expect(ms.hrefs).toHaveLength(3);
    expect(ms.hrefs).not.toContain(`${HOME}/`);
  });

  it('pages through 25 members with limit 10 and sees every member exactly once', async () => {
    const s = await start();
    await mkcol(`${s.url}/many/`);
    const expected: string[] = [];
    for (let i = 0; i < 25; i++) {
      await put(`${s.url}/many/m${String(i).padStart(2, '0')}.txt`, `member ${i}`);
      expected.push(`/many/m${String(i).padStart(2, '0')}.txt`);
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token = '';
    for (let page = 0; page < 10; page++) {
      const ms = await sync(`${s.url}/many/`, syncBody(token, '1', '<D:getetag/>', 10));
      const got = members(ms, '/many/');
      pageSizes.push(got.length);
      seen.push(...got);
      token = ms.syncToken as string;
      if (!ms.hrefs.includes('/many/')) break;
      expectTruncated(ms, '/many/');
    }
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen.sort()).toEqual(expected);
  });
});

describe('RFC 6578 §3.6: paging stays consistent while the collection changes', () => {
  /** A client cache: href → ETag, updated from sync responses the way §3.5 says to. */
  function apply(cache: Map<string, string>, ms: Multistatus, requestHref: string): void {
    for (const r of ms.responses) {
      if (r.href === requestHref) continue;
      if (r.status === 404) cache.delete(r.href);
      else cache.set(r.href, textOf(r.prop(D('getetag'))) as string);
    }
  }

  it('ends with the client equal to the server when members change between pages', async () => {
    const s = await start();
    await mkcol(`${s.url}/p/`);
    for (let i = 0; i < 10; i++) await put(`${s.url}/p/m${i}.txt`, `v1 ${i}`);
    const cache = new Map<string, string>();
    let token = '';
    let pages = 0;
    for (; pages < 20; pages++) {
      const ms = await sync(`${s.url}/p/`, syncBody(token, '1', '<D:getetag/>', 3));
      apply(cache, ms, '/p/');
      token = ms.syncToken as string;
      if (pages === 0) {
        // After the first page: remove one member already sent and one not yet
        // sent, change one already sent, add a new one.
        const sent = [...cache.keys()];
        const unsent = [...Array(10).keys()].map((i) => `/p/m${i}.txt`).filter((h) => !cache.has(h));
        await del(`${s.url}${sent[0] as string}`);
        await del(`${s.url}${unsent[0] as string}`);
        await put(`${s.url}${sent[1] as string}`, 'v2');
        await put(`${s.url}/p/new.txt`, 'new');
      }
      if (!ms.hrefs.includes('/p/')) break;
    }
    expect(pages).toBeLessThan(20);
    const server = await propfind(`${s.url}/p/`, '1', propfindBody('<D:getetag/>'));
    const truth = new Map(server.responses.filter((r) => r.href !== '/p/').map((r) => [r.href, textOf(r.prop(D('getetag'))) as string]));
    expect(truth.size).toBe(9);
    expect(new Map([...cache].sort())).toEqual(new Map([...truth].sort()));
  });
});

describe('RFC 6578 §3.5: collections moved and re-created', () => {
  it('reports a moved child collection as removed (alone) at its old URL and with its members at the new one', async () => {
    const s = await start();
    await mkcol(`${s.url}/r/`);
    await mkcol(`${s.url}/r/old/`);
    await put(`${s.url}/r/old/x.txt`, 'x');
    const first = await sync(`${s.url}/r/`, syncBody('', 'infinite'));
    expect((await dav(`${s.url}/r/old/`, 'MOVE', { headers: { destination: '/r/new/' } })).status).toBe(201);
    const ms = await sync(`${s.url}/r/`, syncBody(first.syncToken as string, 'infinite'));
    expect([...ms.hrefs].sort()).toEqual(['/r/new/', '/r/new/x.txt', '/r/old/']);
    expect(ms.get('/r/old/').status).toBe(404);
    expect(ms.get('/r/new/x.txt').status).toBeUndefined();
  });

  it('reports the members of a collection replaced by a file (COPY with Overwrite) as removed', async () => {
    const s = await start();
    await mkcol(`${s.url}/r/`);
    await mkcol(`${s.url}/r/col/`);
    await put(`${s.url}/r/col/x.txt`, 'x');
    await put(`${s.url}/r/a.txt`, 'a');
    const first = await sync(`${s.url}/r/`, syncBody('', 'infinite'));
    expect((await dav(`${s.url}/r/a.txt`, 'COPY', { headers: { destination: '/r/col' } })).status).toBe(204);
    const ms = await sync(`${s.url}/r/`, syncBody(first.syncToken as string, 'infinite'));
    expect([...ms.hrefs].sort()).toEqual(['/r/col', '/r/col/x.txt']);
    expect(ms.get('/r/col').status).toBeUndefined();
    expect(ms.get('/r/col/x.txt').status).toBe(404);
  });

  it('answers a sync of a collection that moved away with 404, and its old token at the new URL with 403', async () => {
    const s = await start();
    await mkcol(`${s.url}/here/`);
    await put(`${s.url}/here/x.txt`, 'x');
    const token = (await sync(`${s.url}/here/`, syncBody('', '1'))).syncToken as string;
    expect((await dav(`${s.url}/here/`, 'MOVE', { headers: { destination: '/there/' } })).status).toBe(201);
    expect((await report(`${s.url}/here/`, syncBody(token, '1'))).status).toBe(404);
    const moved = await report(`${s.url}/there/`, syncBody(token, '1'));
    expect(moved.status).toBe(403);
    expect(await errorConditions(moved.text)).toEqual([D('valid-sync-token')]);
  });
});

describe('RFC 6578 §3.12: a limit the server cannot honour', () => {
  /** A server that, like some, cannot truncate below a fixed page (a subclass stands in for it). */
  class NoSmallPages extends SyncEngine {
    override openChanges(collection: string, token: string | null, options: DeltaOptions): Promise<DeltaCursor> {
      if (options.limit !== undefined && options.limit < 1000) {
        return Promise.reject(new DavError('number-of-matches-within-limits', `cannot limit results to ${options.limit}`));
      }
      return super.openChanges(collection, token, options);
    }
  }

  it('fails the whole request with 507 and a DAV:error body naming DAV:number-of-matches-within-limits', async () => {
    const engine = new NoSmallPages({ adapter: new MemoryAdapter() });
    const s = await startWithEngine(engine);
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    const token = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;

    const r = await report(`${s.url}/c/`, syncBody(token, '1', '<D:getetag/>', 100), { depth: '0' });

    expect(r.status).toBe(507);
    expect(r.headers.get('content-type')).toMatch(/xml/);
    expect(await errorConditions(r.text)).toEqual([D('number-of-matches-within-limits')]);
  });

  it('fails nresults 0, a limit no page can honour, as a whole with 507 number-of-matches-within-limits', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    const r = await report(`${s.url}/c/`, syncBody('', '1', '<D:getetag/>', 0));
    expect(r.status).toBe(507);
    expect(r.text).not.toContain('multistatus');
    expect(await errorConditions(r.text)).toEqual([D('number-of-matches-within-limits')]);
  });
});

describe('RFC 6578 §3.13: sync-level infinite', () => {
  async function section313(): Promise<{ url: string }> {
    const engine = new SyncEngine({
      adapter: new MemoryAdapter(),
      unsyncable: (p) => (p === `${HOME}/shared` ? 'sync-traversal-supported' : undefined),
    });
    const s = await startWithEngine(engine);
    await mkcol(`${s.url}/home/`);
    await mkcol(`${s.url}${HOME}/`);
    await mkcol(`${s.url}${HOME}/collection1/`);
    await put(`${s.url}${HOME}/collection1/test.doc`, 'a document');
    await setBigbox(`${s.url}${HOME}/collection1/`, 'Box type A');
    await setBigbox(`${s.url}${HOME}/collection1/test.doc`, 'Box type A');
    await mkcol(`${s.url}${HOME}/collection2/`);
    await put(`${s.url}${HOME}/calendar.ics`, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar');
    await mkcol(`${s.url}${HOME}/shared/`);
    await put(`${s.url}${HOME}/shared/theirs.ics`, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar');
    return s;
  }

  it('lists all descendants, child collections included, and an untraversable child collection once with 403', async () => {
    const s = await section313();
    const ms = await sync(`${s.url}${HOME}/`, syncBody('', 'infinite', ETAG_AND_BIGBOX), { depth: '0' });

    expect([...ms.hrefs].sort()).toEqual([
      `${HOME}/calendar.ics`,
      `${HOME}/collection1/`,
      `${HOME}/collection1/test.doc`,
      `${HOME}/collection2/`,
      `${HOME}/shared/`,
    ]);
    expectChanged(ms, `${HOME}/collection1/`, await etagOf(`${s.url}${HOME}/collection1/`), 'found');
    expectChanged(ms, `${HOME}/collection1/test.doc`, await etagOf(`${s.url}${HOME}/collection1/test.doc`), 'found');
    expect(ms.get(`${HOME}/collection2/`).statusOf(BIGBOX)).toBe(404);
    expectChanged(ms, `${HOME}/calendar.ics`, await etagOf(`${s.url}${HOME}/calendar.ics`), 'missing');
    const shared = ms.get(`${HOME}/shared/`);
    expect(shared.status).toBe(403);
    expect(shared.propstats).toEqual([]);
    expect(shared.errors).toEqual([D('sync-traversal-supported')]);

    // The 403 is sent once, when the collection is first reported.
    await put(`${s.url}${HOME}/shared/more.ics`, 'BEGIN:VCALENDAR\r\nX:1\r\nEND:VCALENDAR\r\n', 'text/calendar');
    const next = await sync(`${s.url}${HOME}/`, syncBody(ms.syncToken as string, 'infinite'));
    expect(next.responses).toEqual([]);
  });

  it('lets the client sync the untraversable collection directly, as §3.13 suggests', async () => {
    const s = await section313();
    const ms = await sync(`${s.url}${HOME}/shared/`, syncBody('', '1'));
    expect(ms.hrefs).toEqual([`${HOME}/shared/theirs.ics`]);
  });

  it('reports a child collection that does not support the report with 403 DAV:supported-report, and refuses it as a target', async () => {
    const engine = new SyncEngine({ adapter: new MemoryAdapter(), unsyncable: (p) => (p === '/top/plain' ? 'supported-report' : undefined) });
    const s = await startWithEngine(engine);
    await mkcol(`${s.url}/top/`);
    await mkcol(`${s.url}/top/plain/`);
    await put(`${s.url}/top/plain/x.txt`, 'x');
    const ms = await sync(`${s.url}/top/`, syncBody('', 'infinite'));
    expect(ms.hrefs).toEqual(['/top/plain/']);
    expect(ms.get('/top/plain/').status).toBe(403);
    expect(ms.get('/top/plain/').errors).toEqual([D('supported-report')]);
    const direct = await report(`${s.url}/top/plain/`, syncBody('', '1'));
    expect(direct.status).toBe(403);
    expect(await errorConditions(direct.text)).toEqual([D('supported-report')]);
  });

  it('reports only immediate members at level 1 with the same store', async () => {
    const s = await section313();
    const ms = await sync(`${s.url}${HOME}/`, syncBody('', '1'));
    expect([...ms.hrefs].sort()).toEqual([`${HOME}/calendar.ics`, `${HOME}/collection1/`, `${HOME}/collection2/`, `${HOME}/shared/`]);
    expect(ms.get(`${HOME}/shared/`).status).toBeUndefined();
  });

  it('reports a removed collection alone, not its members (§3.5.2)', async () => {
    const s = await section313();
    const first = await sync(`${s.url}${HOME}/`, syncBody('', 'infinite'));
    await del(`${s.url}${HOME}/collection1/`);
    const ms = await sync(`${s.url}${HOME}/`, syncBody(first.syncToken as string, 'infinite'));
    expect(ms.hrefs).toEqual([`${HOME}/collection1/`]);
    expect(ms.get(`${HOME}/collection1/`).status).toBe(404);
    expect(ms.get(`${HOME}/collection1/`).propstats).toEqual([]);
  });

  it('reports a collection created, filled and removed between two syncs as one removal', async () => {
    const s = await start();
    await mkcol(`${s.url}/r/`);
    const first = await sync(`${s.url}/r/`, syncBody('', 'infinite'));
    await mkcol(`${s.url}/r/tmp/`);
    await mkcol(`${s.url}/r/tmp/inner/`);
    await put(`${s.url}/r/tmp/inner/a.txt`, 'a');
    await del(`${s.url}/r/tmp/`);
    const ms = await sync(`${s.url}/r/`, syncBody(first.syncToken as string, 'infinite'));
    expect(ms.hrefs).toEqual(['/r/tmp/']);
    expect(ms.get('/r/tmp/').status).toBe(404);
  });

  it('reports a change deep inside a child collection to an infinite sync but not to a level-1 sync', async () => {
    const s = await start();
    await mkcol(`${s.url}/a/`);
    await mkcol(`${s.url}/a/b/`);
    const deep = await sync(`${s.url}/a/`, syncBody('', 'infinite'));
    const flat = await sync(`${s.url}/a/`, syncBody('', '1'));
    await put(`${s.url}/a/b/x.txt`, 'x');
    expect((await sync(`${s.url}/a/`, syncBody(deep.syncToken as string, 'infinite'))).hrefs).toEqual(['/a/b/x.txt']);
    expect((await sync(`${s.url}/a/`, syncBody(flat.syncToken as string, '1'))).hrefs).toEqual([]);
  });
});

describe('RFC 6578 §5: DAV:sync-token in the If header', () => {
  const tagged = (collection: string, token: string): string => `<${collection}> (<${token}>)`;

  it('§5.1: PUT succeeds (201) when the tagged collection is still at the token', async () => {
    const s = await start();
    await mkcol(`${s.url}/home/`);
    await mkcol(`${s.url}${HOME}/`);
    await mkcol(`${s.url}${HOME}/collection/`);
    const token = (await sync(`${s.url}${HOME}/collection/`, syncBody('', '1'))).syncToken as string;

    const r = await dav(`${s.url}${HOME}/collection/newresource.txt`, 'PUT', {
      headers: { if: tagged(`${HOME}/collection/`, token), 'content-type': 'text/plain; charset="utf-8"' },
      body: 'Some content here...',
    });

    expect(r.status).toBe(201);
    expect((await dav(`${s.url}${HOME}/collection/newresource.txt`, 'GET')).text).toBe('Some content here...');
  });

  it('§5.2: MKCOL fails with 412 when the collection changed since the token, and creates nothing', async () => {
    const s = await start();
    await mkcol(`${s.url}/home/`);
    await mkcol(`${s.url}${HOME}/`);
    await mkcol(`${s.url}${HOME}/collection/`);
    const token = (await sync(`${s.url}${HOME}/collection/`, syncBody('', '1'))).syncToken as string;
    await put(`${s.url}${HOME}/collection/other.txt`, 'another change');

    const r = await dav(`${s.url}${HOME}/collection/child/`, 'MKCOL', { headers: { if: tagged(`${HOME}/collection/`, token) } });

    expect(r.status).toBe(412);
    expect((await dav(`${s.url}${HOME}/collection/child/`, 'PROPFIND', { headers: { depth: '0' } })).status).toBe(404);
  });

  it('§5.2 positive: MKCOL with the current token succeeds', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const token = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    const r = await dav(`${s.url}/c/child/`, 'MKCOL', { headers: { if: tagged('/c/', token) } });
    expect(r.status).toBe(201);
  });

  it('accepts the collection as an absolute URI in the Resource-Tag, and the token from a PROPFIND', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const token = textOf((await propfind(`${s.url}/c/`, '0', propfindBody('<D:sync-token/>'))).responses[0]?.prop(D('sync-token'))) as string;
    const r = await dav(`${s.url}/c/new.txt`, 'PUT', { headers: { if: tagged(`${s.url}/c/`, token) }, body: 'x' });
    expect(r.status).toBe(201);
  });

  it('guards the destination collection of a MOVE through a tagged list naming it', async () => {
    const s = await start();
    await mkcol(`${s.url}/from/`);
    await mkcol(`${s.url}/to/`);
    await put(`${s.url}/from/a.txt`, 'a');
    await put(`${s.url}/from/b.txt`, 'b');
    const token = (await sync(`${s.url}/to/`, syncBody('', '1'))).syncToken as string;
    const ok = await dav(`${s.url}/from/a.txt`, 'MOVE', { headers: { destination: '/to/a.txt', if: tagged('/to/', token) } });
    expect(ok.status).toBe(201);
    const stale = await dav(`${s.url}/from/b.txt`, 'MOVE', { headers: { destination: '/to/b.txt', if: tagged('/to/', token) } });
    expect(stale.status).toBe(412);
    expect((await dav(`${s.url}/from/b.txt`, 'GET')).text).toBe('b');
  });

  it('refuses DELETE with a stale token (412) and leaves the member in place', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/keep.txt`, 'keep');
    const token = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    await put(`${s.url}/c/other.txt`, 'other');
    const r = await dav(`${s.url}/c/keep.txt`, 'DELETE', { headers: { if: tagged('/c/', token) } });
    expect(r.status).toBe(412);
    expect((await dav(`${s.url}/c/keep.txt`, 'GET')).status).toBe(200);
  });

  it('evaluates an untagged token against the request-URI (the collection itself)', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const token = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    const ok = await dav(`${s.url}/c/`, 'PROPPATCH', {
      headers: { ...XML_HEADERS, if: `(<${token}>)` },
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:a>1</Z:a></D:prop></D:set></D:propertyupdate>',
    });
    expect(ok.status).toBe(207);
    // The collection's own properties are not members: its token is unchanged…
    expect(textOf((await propfind(`${s.url}/c/`, '0', propfindBody('<D:sync-token/>'))).get('/c/').prop(D('sync-token')))).toBe(token);
    // …but a new member moves it on.
    await put(`${s.url}/c/new.txt`, 'new');
    const stale = await dav(`${s.url}/c/`, 'PROPPATCH', {
      headers: { ...XML_HEADERS, if: `(<${token}>)` },
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:a>2</Z:a></D:prop></D:set></D:propertyupdate>',
    });
    expect(stale.status).toBe(412);
    const za = (await propfind(`${s.url}/c/`, '0', propfindBody('<Z:a/>', ' xmlns:Z="urn:z"'))).get('/c/').prop('{urn:z}a');
    expect(textOf(za)).toBe('1');
  });
});

describe('RFC 6578 §3.2 DAV:valid-sync-token: tokens that cannot be honoured are 403', () => {
  async function expectInvalidToken(url: string, token: string, level: '1' | 'infinite' = '1'): Promise<void> {
    const r = await report(url, syncBody(token, level));
    expect(r.status).toBe(403);
    expect(await errorConditions(r.text)).toEqual([D('valid-sync-token')]);
  }

  it('refuses a token this server never issued', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await expectInvalidToken(`${s.url}/c/`, 'http://example.com/ns/sync/1234');
    await expectInvalidToken(`${s.url}/c/`, 'not even a uri');
  });

  it('refuses a token of another collection', async () => {
    const s = await start();
    await mkcol(`${s.url}/a/`);
    await mkcol(`${s.url}/b/`);
    const tokenOfA = (await sync(`${s.url}/a/`, syncBody('', '1'))).syncToken as string;
    await expectInvalidToken(`${s.url}/b/`, tokenOfA);
  });

  it('refuses a token of a collection that was deleted and re-created at the same URL', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    const old = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    await del(`${s.url}/c/`);
    await mkcol(`${s.url}/c/`);
    await expectInvalidToken(`${s.url}/c/`, old);
    await expectInvalidToken(`${s.url}/c/`, old, 'infinite');
  });

  it('refuses a token from the future', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const token = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    const future = token.replace(/:(\d+)$/, (_, n: string) => `:${Number(n) + 1000}`);
    expect(future).not.toBe(token);
    await expectInvalidToken(`${s.url}/c/`, future);
  });

  it('refuses a token older than the retained removal history', async () => {
    const s = await start({ retention: { maxTombstones: 1 } });
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    await put(`${s.url}/c/b.txt`, 'b');
    const old = (await sync(`${s.url}/c/`, syncBody('', '1'))).syncToken as string;
    await del(`${s.url}/c/a.txt`);
    await del(`${s.url}/c/b.txt`);
    await expectInvalidToken(`${s.url}/c/`, old);
  });
});

describe('RFC 6578 §3.2 / Appendix A: Depth and DAV:sync-level', () => {
  it('refuses Depth: infinity with 400', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const r = await report(`${s.url}/c/`, syncBody('', '1'), { depth: 'infinity' });
    expect(r.status).toBe(400);
  });

  it('tolerates Depth: 1 by default (python3-caldav sends it)', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    const ms = await sync(`${s.url}/c/`, syncBody('', '1'), { depth: '1' });
    expect(ms.hrefs).toEqual(['/c/a.txt']);
  });

  it('refuses Depth: 1 with 400 under strictSyncDepth', async () => {
    const s = await start({ strictSyncDepth: true });
    await mkcol(`${s.url}/c/`);
    expect((await report(`${s.url}/c/`, syncBody('', '1'), { depth: '1' })).status).toBe(400);
    expect((await report(`${s.url}/c/`, syncBody('', '1'), { depth: '0' })).status).toBe(207);
  });

  it('takes the level from Depth when DAV:sync-level is absent: absent or 0 → 1, 1 → 1, infinity → infinite', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await mkcol(`${s.url}/c/sub/`);
    await put(`${s.url}/c/sub/deep.txt`, 'deep');
    const url = `${s.url}/c/`;
    const flat = ['/c/sub/'];
    expect((await sync(url, syncBody('', null))).hrefs).toEqual(flat);
    expect((await sync(url, syncBody('', null), { depth: '0' })).hrefs).toEqual(flat);
    expect((await sync(url, syncBody('', null), { depth: '1' })).hrefs).toEqual(flat);
    expect([...(await sync(url, syncBody('', null), { depth: 'infinity' })).hrefs].sort()).toEqual(['/c/sub/', '/c/sub/deep.txt']);
  });

  it('refuses a sync-level other than 1 or infinite with 400', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const r = await report(`${s.url}/c/`, syncBody('', '1').replace('<D:sync-level>1<', '<D:sync-level>2<'));
    expect(r.status).toBe(400);
  });
});

describe('RFC 3253 §3.6 DAV:supported-report', () => {
  it('refuses an unknown report with 403 and DAV:supported-report', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const r = await report(
      `${s.url}/c/`,
      '<?xml version="1.0"?><C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></C:calendar-query>',
    );
    expect(r.status).toBe(403);
    expect(await errorConditions(r.text)).toEqual([D('supported-report')]);
  });

  it('refuses sync-collection on a non-collection with 403 and DAV:supported-report', async () => {
    const s = await start();
    await put(`${s.url}/file.txt`, 'x');
    const r = await report(`${s.url}/file.txt`, syncBody('', '1'));
    expect(r.status).toBe(403);
    expect(await errorConditions(r.text)).toEqual([D('supported-report')]);
  });

  it('answers a sync of a missing collection with 404', async () => {
    const s = await start();
    expect((await report(`${s.url}/nowhere/`, syncBody('', '1'))).status).toBe(404);
  });
});

describe('RFC 6578 §4: the DAV:sync-token property and DAV:supported-report-set', () => {
  it('PROPFIND of DAV:sync-token on a collection returns the token a sync returns', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/a.txt`, 'a');
    const synced = await sync(`${s.url}/c/`, syncBody('', '1'));
    const ms = await propfind(`${s.url}/c/`, '0', propfindBody('<D:sync-token/>'));
    expect(ms.hrefs).toEqual(['/c/']);
    expect(textOf(ms.get('/c/').prop(D('sync-token')))).toBe(synced.syncToken);

    await put(`${s.url}/c/b.txt`, 'b');
    const after = textOf((await propfind(`${s.url}/c/`, '0', propfindBody('<D:sync-token/>'))).get('/c/').prop(D('sync-token')));
    expect(after).not.toBe(synced.syncToken);
    expect((await sync(`${s.url}/c/`, syncBody(after as string, '1'))).responses).toEqual([]);
  });

  it('does not return DAV:sync-token for allprop, but lists it under propname', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const all = await propfind(`${s.url}/c/`, '0', PROPFIND_ALL);
    expect(all.get('/c/').statusOf(D('sync-token'))).toBeUndefined();
    expect(all.get('/c/').prop(D('resourcetype'))).toBeDefined();
    const names = await propfind(`${s.url}/c/`, '0', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
    expect(names.get('/c/').statusOf(D('sync-token'))).toBe(200);
  });

  it('returns DAV:sync-token with allprop when named in DAV:include (RFC 4918 §14.8)', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const current = await s.engine.currentToken('/c');
    const ms = await propfind(`${s.url}/c/`, '0', '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:sync-token/></D:include></D:propfind>');
    expect(textOf(ms.get('/c/').prop(D('sync-token')))).toBe(current);
    expect(ms.get('/c/').prop(D('getetag'))).toBeDefined();
  });

  it('answers DAV:sync-token and DAV:supported-report-set on a non-collection with a 404 propstat', async () => {
    const s = await start();
    await put(`${s.url}/f.txt`, 'f');
    const ms = await propfind(`${s.url}/f.txt`, '0', propfindBody('<D:sync-token/><D:supported-report-set/>'));
    expect(ms.get('/f.txt').statusOf(D('sync-token'))).toBe(404);
    expect(ms.get('/f.txt').statusOf(D('supported-report-set'))).toBe(404);
  });

  it('lists sync-collection in DAV:supported-report-set of every collection, the root included', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    for (const href of ['/', '/c/']) {
      const ms = await propfind(`${s.url}${href}`, '0', propfindBody('<D:supported-report-set/>'));
      const set = ms.get(href).prop(D('supported-report-set'));
      const reports = set?.children.filter((c) => c.name === D('supported-report')).map((sr) => sr.children.find((c) => c.name === D('report'))?.children.map((c) => c.name));
      expect(reports).toEqual([[D('sync-collection')]]);
    }
  });

  it('refuses to PROPPATCH DAV:sync-token (protected) with 403 cannot-modify-protected-property', async () => {
    const s = await start();
    await mkcol(`${s.url}/c/`);
    const r = await dav(`${s.url}/c/`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:sync-token>urn:x</D:sync-token></D:prop></D:set></D:propertyupdate>',
    });
    expect(r.status).toBe(207);
    const ps = (await multistatus(r.text)).get('/c/').propstats;
    expect(ps.map((p) => p.status)).toEqual([403]);
    expect(ps[0]?.errors).toEqual([D('cannot-modify-protected-property')]);
  });
});
