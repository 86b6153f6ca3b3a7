/**
 * gzip over HTTP (issue 20): multistatus answers, the collection page and
 * text-like files are gzip'd when Accept-Encoding asks for it and only
 * then; the decoded bodies equal the unencoded answers; q=0 is honoured;
 * ranges, images and tiny bodies go out unencoded; a gzip'd GET's ETag
 * works in If-None-Match, If-Match and the If header; HEAD says what GET does; off with
 * `compression: false`. Runs on every store (DAVSYNC_TEST_STORE). Requests
 * go through raw node:http, which neither adds Accept-Encoding nor decodes.
 */
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { mkcol, multistatus, propfindBody, put, XML_HEADERS } from '../support/dav';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The bytes as sent. */
  readonly wire: Buffer;
  /** The body, gunzip'd when it was sent gzip'd. */
  readonly text: string;
}

function raw(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        try {
          const text = (res.headers['content-encoding'] === 'gzip' && wire.length > 0 ? gunzipSync(wire) : wire).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, wire, text });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const GZIP = { 'accept-encoding': 'gzip, deflate, br' };
const SYNC = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:getcontentlength/></D:prop></D:sync-collection>';
const LISTING = propfindBody('<D:getetag/><D:getcontenttype/><D:displayname/>');
const MEMBERS = 120;
const TEXT = 'All work and no play makes Jack a dull boy.\n'.repeat(200); // 8 800 bytes

const varies = (r: Raw): boolean => String(r.headers['vary'] ?? '').toLowerCase().includes('accept-encoding');

describe('gzip', () => {
  let s: TestServer;
  let base: string;
  beforeAll(async () => {
    s = await startServer();
    base = `${s.url}/c`;
    await mkcol(`${base}/`);
    // Eight at a time: the PostgreSQL store would serialise more anyway.
    for (let i = 0; i < MEMBERS; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, MEMBERS - i) }, (_, j) => put(`${base}/member-${String(i + j).padStart(4, '0')}.txt`, `body ${i + j}`)));
    }
    await put(`${base}/big.txt`, TEXT);
    await put(`${base}/tiny.txt`, 'tiny');
    await put(`${base}/photo.png`, TEXT, 'image/png');
    await put(`${base}/data.bin`, TEXT, 'application/octet-stream');
  });
  afterAll(async () => {
    await s.close();
  });

  it('REPORT: gzip when asked, equal to the unencoded answer, and not when not asked', async () => {
    const plain = await raw(`${base}/`, 'REPORT', { ...XML_HEADERS, depth: '0' }, SYNC);
    const zipped = await raw(`${base}/`, 'REPORT', { ...XML_HEADERS, depth: '0', ...GZIP }, SYNC);
    expect(plain.status).toBe(207);
    expect(zipped.status).toBe(207);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(varies(plain) && varies(zipped)).toBe(true);
    expect(zipped.text).toBe(plain.text);
    expect((await multistatus(zipped.text)).responses.length).toBe(MEMBERS + 4);
    expect(zipped.wire.length * 4).toBeLessThan(plain.wire.length);
  });

  it('PROPFIND Depth 1: gzip when asked, equal to the unencoded answer', async () => {
    const plain = await raw(`${base}/`, 'PROPFIND', { ...XML_HEADERS, depth: '1' }, LISTING);
    const zipped = await raw(`${base}/`, 'PROPFIND', { ...XML_HEADERS, depth: '1', 'accept-encoding': 'gzip' }, LISTING);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.text).toBe(plain.text);
    expect(zipped.wire.length).toBeLessThan(plain.wire.length);
  });

  it('a short multistatus goes out unencoded (gzip would not pay), still with Vary', async () => {
    const r = await raw(`${base}/tiny.txt`, 'PROPFIND', { ...XML_HEADERS, depth: '0', ...GZIP }, LISTING);
    expect(r.status).toBe(207);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(varies(r)).toBe(true);
    expect(Number(r.headers['content-length'])).toBe(r.wire.length);
  });

  it('GET of a text file: gzip, its own strong ETag, no stale Content-Length; the same bytes decoded', async () => {
    const plain = await raw(`${base}/big.txt`, 'GET');
    const zipped = await raw(`${base}/big.txt`, 'GET', { 'accept-encoding': 'gzip' });
    expect(plain.text).toBe(TEXT);
    expect(zipped.text).toBe(TEXT);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length'] === undefined || Number(zipped.headers['content-length']) === zipped.wire.length).toBe(true);
    const etag = String(plain.headers['etag']);
    expect(zipped.headers['etag']).toBe(`${etag.slice(0, -1)}-gzip"`);
    expect(varies(plain) && varies(zipped)).toBe(true);
  });

  it('HEAD answers with the headers GET gives, for a file and for the collection page', async () => {
    for (const url of [`${base}/big.txt`, `${base}/`, `${base}/tiny.txt`]) {
      for (const ae of [{}, GZIP]) {
        const get = await raw(url, 'GET', ae);
        const head = await raw(url, 'HEAD', ae);
        expect(head.status).toBe(get.status);
        for (const name of ['content-encoding', 'etag', 'vary', 'content-type']) expect([url, name, head.headers[name]]).toEqual([url, name, get.headers[name]]);
        // A gzip'd GET may carry the Content-Length of its bytes; HEAD cannot know it, so it sends none.
        if (get.headers['content-encoding'] === undefined) expect(head.headers['content-length']).toBe(get.headers['content-length']);
        else expect(head.headers['content-length']).toBeUndefined();
      }
    }
  });

  it('the collection page is gzip\'d when asked', async () => {
    const plain = await raw(`${base}/`, 'GET');
    const zipped = await raw(`${base}/`, 'GET', GZIP);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.text).toBe(plain.text);
    expect(zipped.text).toContain('member-0042.txt');
  });

  it('q=0 refusals are honoured: gzip;q=0, *;q=0, and a preference for identity', async () => {
    for (const ae of ['gzip;q=0', 'gzip;q=0, deflate', '*;q=0', 'GZIP;q=0.000', 'gzip;q=0.5, identity', '*;q=0.3, identity;q=0.4', '']) {
      const r = await raw(`${base}/big.txt`, 'GET', { 'accept-encoding': ae });
      expect([ae, r.status, r.headers['content-encoding']]).toEqual([ae, 200, undefined]);
      expect(r.text).toBe(TEXT);
    }
    for (const ae of ['*', 'x-gzip', 'gzip;q=0.5', 'identity;q=0.2, gzip;q=0.9']) {
      const r = await raw(`${base}/big.txt`, 'GET', { 'accept-encoding': ae });
      expect([ae, r.headers['content-encoding']]).toEqual([ae, 'gzip']);
    }
  });

  it('identity;q=0 gets even a tiny body gzip\'d', async () => {
    const r = await raw(`${base}/tiny.txt`, 'GET', { 'accept-encoding': 'gzip, identity;q=0' });
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.text).toBe('tiny');
    const plain = await raw(`${base}/tiny.txt`, 'GET', GZIP);
    expect(plain.headers['content-encoding']).toBeUndefined();
  });

  it('garbage Accept-Encoding is ignored, never a 5xx', async () => {
    for (const ae of ['gzip;q=abc', ';;;,,,', 'gzip;q=2', 'gzip;;q', '\u00ff\u00fe', 'q=1', `${'x,'.repeat(3000)}gzip`]) {
      const r = await raw(`${base}/big.txt`, 'GET', { 'accept-encoding': ae });
      expect([ae, r.status]).toEqual([ae, 200]);
      expect(r.text).toBe(TEXT);
    }
  });

  it('a Range request is answered from the unencoded bytes (206, no Content-Encoding)', async () => {
    const r = await raw(`${base}/big.txt`, 'GET', { ...GZIP, range: 'bytes=10-99' });
    expect(r.status).toBe(206);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.text).toBe(TEXT.slice(10, 100));
    // If-Range with the gzip'd representation's tag names other bytes: the whole answer instead.
    const zipped = await raw(`${base}/big.txt`, 'GET', GZIP);
    const whole = await raw(`${base}/big.txt`, 'GET', { ...GZIP, range: 'bytes=10-99', 'if-range': String(zipped.headers['etag']) });
    expect(whole.status).toBe(200);
    expect(whole.text).toBe(TEXT);
  });

  it('images and unknown binary types are not compressed, and do not Vary', async () => {
    for (const name of ['photo.png', 'data.bin']) {
      const r = await raw(`${base}/${name}`, 'GET', GZIP);
      expect([name, r.headers['content-encoding'], varies(r)]).toEqual([name, undefined, false]);
      expect(r.wire.length).toBe(TEXT.length);
    }
  });

  it('conditional requests take back the ETag a gzip\'d GET gave', async () => {
    const zipped = await raw(`${base}/big.txt`, 'GET', GZIP);
    const gzEtag = String(zipped.headers['etag']);
    const notModified = await raw(`${base}/big.txt`, 'GET', { ...GZIP, 'if-none-match': gzEtag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['etag']).toBe(gzEtag);
    expect(notModified.headers['content-length']).toBeUndefined();
    expect(notModified.headers['content-encoding']).toBeUndefined();
    expect(varies(notModified)).toBe(true);
    // The same tag from a client that no longer asks for gzip: the content is the same, so still 304 (with the plain tag).
    const plainAgain = await raw(`${base}/big.txt`, 'GET', { 'if-none-match': gzEtag });
    expect(plainAgain.status).toBe(304);
    expect(plainAgain.headers['etag']).toBe(`${gzEtag.slice(0, -'-gzip"'.length)}"`);
    // If-Match with the gzip tag lets a write through; a wrong tag does not.
    const wrong = await raw(`${base}/big.txt`, 'PUT', { 'content-type': 'text/plain', 'if-match': '"nope-gzip"' }, TEXT + 'x');
    expect(wrong.status).toBe(412);
    const write = await raw(`${base}/big.txt`, 'PUT', { 'content-type': 'text/plain', 'if-match': gzEtag }, `${TEXT}!`);
    expect([201, 204]).toContain(write.status);
    // After the write the old tag matches nothing.
    const modified = await raw(`${base}/big.txt`, 'GET', { ...GZIP, 'if-none-match': gzEtag });
    expect(modified.status).toBe(200);
    expect(modified.text).toBe(`${TEXT}!`);
    const back = await raw(`${base}/big.txt`, 'PUT', { 'content-type': 'text/plain', 'if-match': String(modified.headers['etag']) }, TEXT);
    expect([201, 204]).toContain(back.status);
  });

  it('the If header takes back the ETag a gzip\'d GET gave, as If-Match does', async () => {
    const url = `${base}/if-header.txt`;
    await put(url, TEXT);
    const gzEtag = String((await raw(url, 'GET', GZIP)).headers['etag']);
    expect(gzEtag).toMatch(/-gzip"$/);
    const plainEtag = `${gzEtag.slice(0, -'-gzip"'.length)}"`;
    const putIf = (ifValue: string, body: string): Promise<Raw> => raw(url, 'PUT', { 'content-type': 'text/plain', if: ifValue }, body);
    // A tag that is neither is still refused; Not of the gzip tag is false.
    expect((await putIf('(["nope-gzip"])', 'x')).status).toBe(412);
    expect((await putIf(`(Not [${gzEtag}])`, 'x')).status).toBe(412);
    expect((await raw(url, 'GET')).text).toBe(TEXT);
    // Untagged list: the gzip tag lets the write through.
    expect([200, 204]).toContain((await putIf(`([${gzEtag}])`, `${TEXT}1`)).status);
    expect((await raw(url, 'GET')).text).toBe(`${TEXT}1`);
    // The old tag (either form) now matches nothing.
    expect((await putIf(`([${gzEtag}])`, 'x')).status).toBe(412);
    expect((await putIf(`([${plainEtag}])`, 'x')).status).toBe(412);
    // Tagged list naming the resource, with the new gzip tag.
    const newGz = String((await raw(url, 'GET', GZIP)).headers['etag']);
    expect([200, 204]).toContain((await putIf(`<${url}> ([${newGz}])`, `${TEXT}2`)).status);
    expect((await raw(url, 'GET')).text).toBe(`${TEXT}2`);
    // With a lock: its token and the gzip tag in one list submit the token (RFC 4918 §10.4.3).
    const lockBody = '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    const lock = await raw(url, 'LOCK', { 'content-type': 'application/xml', timeout: 'Second-60' }, lockBody);
    expect(lock.status).toBe(200);
    const token = String(lock.headers['lock-token']);
    const lockedGz = String((await raw(url, 'GET', GZIP)).headers['etag']);
    expect((await putIf(`(${token} ["nope-gzip"])`, 'x')).status).toBe(412);
    expect([200, 204]).toContain((await putIf(`(${token} [${lockedGz}])`, `${TEXT}3`)).status);
    expect((await raw(url, 'GET')).text).toBe(`${TEXT}3`);
    expect((await raw(url, 'UNLOCK', { 'lock-token': token })).status).toBe(204);
  });
});

describe('compression: false', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ compression: false });
    await mkcol(`${s.url}/c/`);
    await put(`${s.url}/c/big.txt`, TEXT);
  });
  afterAll(async () => {
    await s.close();
  });

  it('nothing is compressed and nothing Varies', async () => {
    for (const [method, url, headers, body] of [
      ['GET', `${s.url}/c/big.txt`, {}, undefined],
      ['GET', `${s.url}/c/`, {}, undefined],
      ['PROPFIND', `${s.url}/c/`, { ...XML_HEADERS, depth: '1' }, LISTING],
    ] as const) {
      const r = await raw(url, method, { ...headers, ...GZIP }, body);
      expect([method, url, r.headers['content-encoding'], varies(r)]).toEqual([method, url, undefined, false]);
    }
  });

  it('a bad compression option is refused', async () => {
    await expect(startServer({ compression: { level: 11 } })).rejects.toThrow(/compression/);
  });
});
