/**
 * The wrap middleware over HTTP in front of a fake host: what it answers
 * itself (sync REPORT, sync-token preconditions), what it leaves to the host
 * untouched, and how it merges its properties into the host's PROPFIND.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { dav, multistatus, propfindBody, textOf, XML_HEADERS, D } from '../support/dav';
import { closeServer, listen, syncBody } from '../support/server';
import { FakeHost, startWrapped, type Wrapped } from './fake-host';

let w: Wrapped;
afterEach(async () => {
  await w?.close();
});

/** A host with one address book holding two cards, adopted. */
async function withBook(options: Parameters<typeof startWrapped>[0] = {}): Promise<Wrapped> {
  const host = new FakeHost();
  host.mkcol('/books');
  host.mkcol('/books/a');
  host.put('/books/a/1.vcf', 'card one');
  host.put('/books/a/2.vcf', 'card two');
  w = await startWrapped(options, host);
  await w.wrap.adopt(host.listing());
  return w;
}

async function syncOf(url: string, token: string | null, props = '<D:getetag/>') {
  const r = await dav(url, 'REPORT', { headers: XML_HEADERS, body: syncBody(token, '1', props) });
  expect(r.status).toBe(207);
  return multistatus(r.text);
}

describe('what davsync answers itself', () => {
  it('answers sync-collection on a tracked collection; the host never sees it', async () => {
    await withBook();
    const ms = await syncOf(`${w.origin}/books/a/`, null);
    expect([...ms.hrefs].sort()).toEqual(['/books/a/1.vcf', '/books/a/2.vcf']);
    expect(textOf(ms.get('/books/a/1.vcf').prop(D('getetag')))).toBe(`"${FakeHost.etag('card one')}"`);
    expect(ms.syncToken).toMatch(/^urn:x-davsync:sync:/);
    expect(w.host.seen.filter((s) => s.method === 'REPORT')).toEqual([]);
  });

  it('answers a bad token with 403 valid-sync-token, as in full-server mode', async () => {
    await withBook();
    const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body: syncBody('urn:x-davsync:sync:0000000000000000:1', '1') });
    expect(r.status).toBe(403);
    expect(r.text).toContain('valid-sync-token');
  });

  it('stops a write whose If header names a stale sync token with 412 before the host runs', async () => {
    await withBook();
    const { syncToken: stale } = await syncOf(`${w.origin}/books/a/`, null);
    const put = await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three' });
    expect(put.status).toBe(201);
    const writesBefore = w.host.writes().length;
    const refused = await dav(`${w.origin}/books/a/4.vcf`, 'PUT', { body: 'four', headers: { if: `</books/a/> (<${stale}>)` } });
    expect(refused.status).toBe(412);
    expect(w.host.writes()).toHaveLength(writesBefore);
    expect(w.host.files.has('/books/a/4.vcf')).toBe(false);
  });

  it('lets a write with the current token through, handing the host an If header it can evaluate', async () => {
    await withBook();
    const { syncToken: current } = await syncOf(`${w.origin}/books/a/`, null);
    const lock = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
    const ok = await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three', headers: { if: `</books/a/> (<${current}>)` } });
    expect(ok.status).toBe(201);
    expect(w.host.writes().at(-1)?.ifHeader).toBe('</books/a/> (Not <DAV:no-lock>)');
    // The token moved on with that write: the same header now fails.
    const again = await dav(`${w.origin}/books/a/5.vcf`, 'PUT', { body: 'five', headers: { if: `</books/a/> (<${current}>)` } });
    expect(again.status).toBe(412);
    // Lock tokens and ETags are the host's: they reach it untouched.
    const { syncToken: now } = await syncOf(`${w.origin}/books/a/`, null);
    await dav(`${w.origin}/books/a/6.vcf`, 'PUT', { body: 'six', headers: { if: `</books/a/> (<${now}> <${lock}>) (["x"])` } });
    expect(w.host.writes().at(-1)?.ifHeader).toBe(`</books/a/> (<${lock}>) (["x"])`);
  });

  it('refuses a malformed If header that names a sync token with 400', async () => {
    await withBook();
    const r = await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'x', headers: { if: '(<urn:x-davsync:sync:abc' } });
    expect(r.status).toBe(400);
    expect(w.host.writes()).toEqual([]);
  });

  it('makes a conditional write wait for a write already at the host, then judges the token after it', async () => {
    await withBook();
    const { syncToken: token } = await syncOf(`${w.origin}/books/a/`, null);
    // The host sits on the first write until the test lets it go.
    const original = w.host.handler;
    let arrived = false;
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    Object.assign(w.host, {
      handler: ((req, res) => {
        if (req.url !== '/books/a/slow.vcf') return original(req, res);
        arrived = true;
        void held.then(() => original(req, res));
      }) as typeof original,
    });
    const slow = dav(`${w.origin}/books/a/slow.vcf`, 'PUT', { body: 'slow' });
    await waitFor(() => arrived);
    const conditional = dav(`${w.origin}/books/a/cond.vcf`, 'PUT', { body: 'cond', headers: { if: `</books/a/> (<${token}>)` } });
    await new Promise((r) => setTimeout(r, 50));
    // Still waiting: the token is judged only once the slow write is recorded.
    expect(w.host.seen.some((s) => s.path === '/books/a/cond.vcf')).toBe(false);
    letGo();
    expect((await slow).status).toBe(201);
    // Checked before the slow write was recorded, the stale token would have passed.
    expect((await conditional).status).toBe(412);
    expect(w.host.files.has('/books/a/cond.vcf')).toBe(false);
  });
});

describe('what it leaves to the host', () => {
  it('passes GET, other REPORTs (body intact) and sync REPORTs on untracked paths to the host', async () => {
    await withBook();
    const get = await dav(`${w.origin}/books/a/1.vcf`, 'GET');
    expect(get.status).toBe(200);
    expect(get.text).toBe('card one');
    const query = '<?xml version="1.0"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop></C:addressbook-query>';
    const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body: query });
    expect(r.status).toBe(207);
    expect(w.host.seen.at(-1)).toMatchObject({ method: 'REPORT', body: query });
    const untracked = await dav(`${w.origin}/books/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(null, '1') });
    expect(untracked.status).toBe(207);
    expect(w.host.seen.at(-1)).toMatchObject({ method: 'REPORT', path: '/books', body: syncBody(null, '1') });
  });

  it('passes OPTIONS to the host untouched when push is off', async () => {
    await withBook();
    const r = await dav(`${w.origin}/books/a/`, 'OPTIONS');
    expect(r.status).toBe(200);
    expect(r.headers.get('dav')).toBe('1, 2, access-control, addressbook');
    expect(r.headers.get('allow')?.split(', ')).not.toContain('POST');
  });

  it('passes LOCK and UNLOCK to the host untouched: locking is the host\'s in wrap mode', async () => {
    await withBook();
    const lockinfo = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    const lock = await dav(`${w.origin}/books/a/1.vcf`, 'LOCK', { headers: XML_HEADERS, body: lockinfo });
    expect(lock.status).toBe(405); // the fake host has no locking: its answer, not ours
    expect(w.host.seen.at(-1)).toMatchObject({ method: 'LOCK', path: '/books/a/1.vcf', body: lockinfo });
    const unlock = await dav(`${w.origin}/books/a/1.vcf`, 'UNLOCK', { headers: { 'lock-token': '<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>' } });
    expect(unlock.status).toBe(405);
    expect(w.host.seen.at(-1)).toMatchObject({ method: 'UNLOCK', path: '/books/a/1.vcf' });
  });

  it('passes a chunked REPORT body the host reads itself, byte for byte', async () => {
    await withBook();
    const body = '<?xml version="1.0"?><C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav">' + 'x'.repeat(100_000) + '</C:addressbook-query>';
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${w.origin}/books/a/`, { method: 'REPORT', headers: { 'content-type': 'application/xml' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      // Several chunks, with pauses, so the body arrives in pieces.
      const parts = [body.slice(0, 10), body.slice(10, 50_000), body.slice(50_000)];
      const next = (): void => {
        const p = parts.shift();
        if (p === undefined) {
          req.end();
          return;
        }
        req.write(p);
        setTimeout(next, 10);
      };
      next();
    });
    expect(status).toBe(207);
    expect(w.host.seen.at(-1)?.body).toBe(body);
  });

  it('passes a body larger than it will look into (over limits.xmlBytes) to the host whole', async () => {
    await withBook({ limits: { xmlBytes: 64 * 1024 } });
    const body = '<?xml version="1.0"?><C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav">' + 'y'.repeat(300_000) + '</C:addressbook-query>';
    const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body });
    expect(r.status).toBe(207);
    expect(w.host.seen.at(-1)?.body).toBe(body);
    const pf = propfindBody('<D:sync-token/>' + `<D:displayname>${'z'.repeat(5_000)}</D:displayname>`.repeat(20));
    expect((await dav(`${w.origin}/books/a/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: pf })).status).toBe(207);
    expect(w.host.seen.at(-1)?.body).toBe(pf);
  });

  it('returns the host PROPFIND answer byte for byte when sync properties are not asked for', async () => {
    await withBook();
    const alone = await listen(w.host.handler);
    try {
      const body = propfindBody('<D:displayname/><D:getetag/>');
      const ask = (origin: string) => dav(`${origin}/books/a/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '1' }, body });
      const direct = await ask(alone.origin);
      const viaWrap = await ask(w.origin);
      expect(viaWrap.status).toBe(207);
      expect(viaWrap.text).toBe(direct.text);
      expect(viaWrap.headers.get('content-type')).toBe(direct.headers.get('content-type'));
      expect(w.host.seen.at(-1)).toMatchObject({ method: 'PROPFIND', body });
    } finally {
      await closeServer(alone.server);
    }
  });
});

describe('PROPFIND merge', () => {
  it('puts the sync token and sync-collection into the host answer for tracked collections only', async () => {
    await withBook();
    const r = await dav(`${w.origin}/books/`, 'PROPFIND', {
      headers: { ...XML_HEADERS, depth: '1' },
      body: propfindBody('<D:displayname/><D:sync-token/><D:supported-report-set/>'),
    });
    expect(r.status).toBe(207);
    const ms = await multistatus(r.text);
    const book = ms.get('/books/a/');
    const { syncToken } = await syncOf(`${w.origin}/books/a/`, null);
    expect(textOf(book.prop(D('sync-token')))).toBe(syncToken);
    expect(book.prop(D('supported-report-set'))?.children[0]?.children[0]?.children[0]?.name).toBe(D('sync-collection'));
    expect(textOf(book.prop(D('displayname')))).toBe('a');
    // No 404 propstat is left for the properties davsync supplied.
    expect(book.statusOf(D('sync-token'))).toBe(200);
    expect(book.propstats.every((ps) => ps.status === 200)).toBe(true);
    // /books itself is not tracked: the host's 404s stand.
    expect(ms.get('/books/').statusOf(D('sync-token'))).toBe(404);
  });

  it('adds sync-collection to a supported-report-set the host answers itself', async () => {
    const host = new FakeHost();
    host.supportedReports =
      '<D:supported-report-set><D:supported-report><D:report><C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav"/></D:report></D:supported-report></D:supported-report-set>';
    host.mkcol('/books');
    host.mkcol('/books/a');
    w = await startWrapped({}, host);
    await w.wrap.adopt(host.listing());
    const r = await dav(`${w.origin}/books/a/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: propfindBody('<D:supported-report-set/>') });
    const reports = (await multistatus(r.text)).get('/books/a/').prop(D('supported-report-set'));
    expect(reports?.children.map((sr) => sr.children[0]?.children[0]?.name)).toEqual(['{urn:ietf:params:xml:ns:carddav}addressbook-query', D('sync-collection')]);
  });
});

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
