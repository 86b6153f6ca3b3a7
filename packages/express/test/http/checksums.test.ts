/**
 * Checksums over HTTP (issue 17), in the ownCloud dialect rclone speaks:
 * PUT stores SHA-1/MD5/SHA-256 of the body, PROPFIND answers `oc:checksums`
 * when asked (and only then: not in allprop), an `OC-Checksum` header is
 * verified — a mismatch is a 400 that stores nothing — and `DAV:getetag`
 * is what it would be without them. Runs on every store (DAVSYNC_TEST_STORE).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SyncEngine } from '@davsync/core';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { startServer, type TestServer } from '../support/server';
import { D, dav, mkcol, propfind, propfindBody, PROPFIND_ALL, PROPFIND_NAMES, put, textOf } from '../support/dav';

const OC = 'http://owncloud.org/ns';
const OC_NS = ` xmlns:oc="${OC}"`;
const ASK = propfindBody('<D:getetag/><oc:checksums/>', OC_NS);
const hex = (algorithm: string, text: string): string => createHash(algorithm).update(text, 'utf8').digest('hex');
const expected = (text: string): string => `SHA1:${hex('sha1', text)} MD5:${hex('md5', text)} SHA256:${hex('sha256', text)}`;

/** The text of `oc:checksum` inside `oc:checksums` of the response for `href`, and the status it came under. */
async function checksumsAt(url: string, depth: '0' | '1', href: string): Promise<{ text: string | undefined; status: number | undefined }> {
  const ms = await propfind(url, depth, ASK);
  const r = ms.get(href);
  const el = r.prop(`{${OC}}checksums`);
  const inner = el?.children.find((c) => c.name === `{${OC}}checksum`);
  return { text: textOf(inner), status: r.statusOf(`{${OC}}checksums`) };
}

describe.each([true, false])('checksums (hashing %s)', (hashing) => {
  let s: TestServer;
  let n = 0;
  let base: string;
  let basePath: string;
  beforeAll(async () => {
    s = await startServer({ checksums: hashing });
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(async () => {
    basePath = `/c${++n}`;
    base = `${s.url}${basePath}`;
    await mkcol(`${base}/`);
  });

  it('PROPFIND answers oc:checksums for the member and in a Depth 1 listing', async () => {
    await put(`${base}/a.txt`, 'alpha');
    await put(`${base}/b.txt`, 'bravo bravo');
    const self = await checksumsAt(`${base}/a.txt`, '0', `${basePath}/a.txt`);
    const listed = await propfind(`${base}/`, '1', ASK);
    const sumOf = (href: string) => textOf(listed.get(href).prop(`{${OC}}checksums`)?.children[0]);
    if (hashing) {
      expect(self).toEqual({ text: expected('alpha'), status: 200 });
      expect(sumOf(`${basePath}/a.txt`)).toBe(expected('alpha'));
      expect(sumOf(`${basePath}/b.txt`)).toBe(expected('bravo bravo'));
    } else {
      // Nothing was computed: reported missing, never made up.
      expect(self).toEqual({ text: undefined, status: 404 });
      expect(listed.get(`${basePath}/b.txt`).statusOf(`{${OC}}checksums`)).toBe(404);
    }
    // A collection has no content to hash.
    expect(listed.get(`${basePath}/`).statusOf(`{${OC}}checksums`)).toBe(404);
  });

  it('leaves oc:checksums out of allprop (RFC 4918 §9.1) and keeps getetag what the store makes it', async () => {
    const etag = await put(`${base}/a.txt`, 'alpha');
    const all = await propfind(`${base}/a.txt`, '0', PROPFIND_ALL);
    expect(all.responses[0]?.prop(`{${OC}}checksums`)).toBeUndefined();
    expect(textOf(all.responses[0]?.prop(D('getetag')))).toBe(etag);
    const asked = await propfind(`${base}/a.txt`, '0', ASK);
    expect(textOf(asked.responses[0]?.prop(D('getetag')))).toBe(etag);
  });

  it('names oc:checksums in propname where a file has them, in a listing as for the file itself', async () => {
    await put(`${base}/a.txt`, 'alpha');
    const names = await propfind(`${base}/`, '1', PROPFIND_NAMES);
    const has = (href: string) => names.get(href).prop(`{${OC}}checksums`) !== undefined;
    expect(has(`${basePath}/a.txt`)).toBe(hashing);
    expect(has(`${basePath}/`)).toBe(false);
    expect((await propfind(`${base}/a.txt`, '0', PROPFIND_NAMES)).responses[0]?.prop(`{${OC}}checksums`) !== undefined).toBe(hashing);
  });

  it('accepts a PUT whose OC-Checksum matches, in any case of algorithm and hex', async () => {
    const r = await dav(`${base}/a.txt`, 'PUT', { headers: { 'oc-checksum': `sha1:${hex('sha1', 'payload').toUpperCase()}` }, body: 'payload' });
    expect(r.status).toBe(201);
    const m = await dav(`${base}/b.txt`, 'PUT', { headers: { 'oc-checksum': `MD5:${hex('md5', 'payload')} ADLER32:0123abcd` }, body: 'payload' });
    expect(m.status).toBe(201);
    if (hashing) expect((await checksumsAt(`${base}/a.txt`, '0', `${basePath}/a.txt`)).text).toBe(expected('payload'));
  });

  it('answers 400 to an OC-Checksum mismatch and stores nothing: no new member, the old content stays', async () => {
    const wrong = { 'oc-checksum': `SHA1:${hex('sha1', 'something else')}` };
    const created = await dav(`${base}/new.txt`, 'PUT', { headers: wrong, body: 'the body' });
    expect(created.status).toBe(400);
    expect(created.headers.get('x-davsync-reason')).toMatch(/SHA1 checksum .* nothing was stored/);
    expect((await dav(`${base}/new.txt`, 'GET')).status).toBe(404);

    const etag = await put(`${base}/old.txt`, 'old content');
    const replaced = await dav(`${base}/old.txt`, 'PUT', { headers: wrong, body: 'new content' });
    expect(replaced.status).toBe(400);
    const now = await dav(`${base}/old.txt`, 'GET');
    expect(now.text).toBe('old content');
    expect(now.headers.get('etag')).toBe(etag);
    if (hashing) expect((await checksumsAt(`${base}/old.txt`, '0', `${basePath}/old.txt`)).text).toBe(expected('old content'));
    // The journal recorded no change either: the listing is unchanged.
    expect((await propfind(`${base}/`, '1', ASK)).hrefs).toEqual([`${basePath}/`, `${basePath}/old.txt`]);
  });

  it('answers 400 to a malformed OC-Checksum before reading the body', async () => {
    for (const header of ['SHA1', 'SHA1:xyz', `SHA1:${'a'.repeat(39)}`, 'MD5:', ':abc', `SHA256:${'0'.repeat(40)}`]) {
      const r = await dav(`${base}/bad.txt`, 'PUT', { headers: { 'oc-checksum': header }, body: 'x' });
      expect({ header, status: r.status }).toEqual({ header, status: 400 });
      expect(r.headers.get('x-davsync-reason')).toMatch(/OC-Checksum/);
    }
    expect((await dav(`${base}/bad.txt`, 'GET')).status).toBe(404);
  });

  it('refuses to PROPPATCH oc:checksums: it is a protected live property', async () => {
    await put(`${base}/a.txt`, 'alpha');
    const body = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"${OC_NS}><D:set><D:prop><oc:checksums><oc:checksum>SHA1:00</oc:checksum></oc:checksums></D:prop></D:set></D:propertyupdate>`;
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: { 'content-type': 'application/xml' }, body });
    expect(r.status).toBe(207);
    expect(r.text).toMatch(/403/);
  });

  it('copies checksums with COPY and keeps them on MOVE', async () => {
    if (!hashing) return;
    await put(`${base}/a.txt`, 'copied');
    expect((await dav(`${base}/a.txt`, 'COPY', { headers: { destination: `${base}/b.txt` } })).status).toBe(201);
    expect((await dav(`${base}/b.txt`, 'MOVE', { headers: { destination: `${base}/c.txt` } })).status).toBe(201);
    expect((await checksumsAt(`${base}/c.txt`, '0', `${basePath}/c.txt`)).text).toBe(expected('copied'));
  });

  it('keeps checksums, at once, when a client changes only the time (PROPPATCH, MOVE and COPY with X-OC-Mtime)', async () => {
    if (!hashing) return;
    const etag = await put(`${base}/a.txt`, 'timed');
    const setTime = (prop: string) =>
      dav(`${base}/a.txt`, 'PROPPATCH', {
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>${prop}</D:prop></D:set></D:propertyupdate>`,
      });
    expect((await setTime('<D:lastmodified>1600000000</D:lastmodified>')).status).toBe(207);
    const after = await propfind(`${base}/a.txt`, '0', ASK);
    // The time did change (every store gives the member a new ETag for it), and the checksums stayed.
    expect(textOf(after.responses[0]?.prop(D('getetag')))).not.toBe(etag);
    expect(after.responses[0]?.statusOf(`{${OC}}checksums`)).toBe(200);
    expect((await checksumsAt(`${base}/a.txt`, '0', `${basePath}/a.txt`)).text).toBe(expected('timed'));
    expect((await setTime('<Z:Win32LastModifiedTime>Wed, 02 Dec 2026 07:00:00 GMT</Z:Win32LastModifiedTime>')).status).toBe(207);
    expect((await checksumsAt(`${base}/a.txt`, '0', `${basePath}/a.txt`)).text).toBe(expected('timed'));
    // rclone's moveto and copyto: the transfer, then the source's time on the destination.
    expect((await dav(`${base}/a.txt`, 'MOVE', { headers: { destination: `${base}/b.txt`, 'x-oc-mtime': '1500000000' } })).status).toBe(201);
    expect((await checksumsAt(`${base}/b.txt`, '0', `${basePath}/b.txt`)).text).toBe(expected('timed'));
    expect((await dav(`${base}/b.txt`, 'COPY', { headers: { destination: `${base}/c.txt`, 'x-oc-mtime': '1400000000' } })).status).toBe(201);
    expect((await checksumsAt(`${base}/c.txt`, '0', `${basePath}/c.txt`)).text).toBe(expected('timed'));
    const listed = await propfind(`${base}/`, '1', ASK);
    expect(textOf(listed.get(`${basePath}/c.txt`).prop(`{${OC}}checksums`)?.children[0])).toBe(expected('timed'));
  });
});

describe('checksums: { algorithms } (only what a deployment’s clients compare)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ checksums: { algorithms: ['md5'] } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('stores and answers only the digests computed: MD5, plus one a client announced', async () => {
    await put(`${s.url}/m.txt`, 'md5 only');
    expect((await checksumsAt(`${s.url}/m.txt`, '0', '/m.txt')).text).toBe(`MD5:${hex('md5', 'md5 only')}`);
    // COPY hashes what the store copies with the same choice (the fs store), or keeps the source's (the others).
    expect((await dav(`${s.url}/m.txt`, 'COPY', { headers: { destination: `${s.url}/m2.txt` } })).status).toBe(201);
    expect((await checksumsAt(`${s.url}/m2.txt`, '0', '/m2.txt')).text).toBe(`MD5:${hex('md5', 'md5 only')}`);
    const r = await dav(`${s.url}/n.txt`, 'PUT', { headers: { 'oc-checksum': `SHA1:${hex('sha1', 'announced')}` }, body: 'announced' });
    expect(r.status).toBe(201);
    expect((await checksumsAt(`${s.url}/n.txt`, '0', '/n.txt')).text).toBe(`SHA1:${hex('sha1', 'announced')} MD5:${hex('md5', 'announced')}`);
  });

  it('refuses an unknown algorithm when the engine is configured', () => {
    // On the engine itself: a store opened first would be left open by the refusal.
    expect(() => new SyncEngine({ adapter: new MemoryAdapter(), checksums: { algorithms: ['crc32' as 'md5'] } })).toThrow(/checksums/);
    expect(() => new SyncEngine({ adapter: new MemoryAdapter(), checksums: { algorithms: [] } })).toThrow(/checksums/);
  });
});

describe('OC-Checksum on GET and HEAD (as Nextcloud sends it)', () => {
  let s: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    s = await startServer();
    off = await startServer({ checksums: false });
  });
  afterAll(async () => {
    await s.close();
    await off.close();
  });

  it('names the SHA-1 of the whole content on GET, HEAD and a range; none for a collection', async () => {
    await put(`${s.url}/g.txt`, 'get me');
    for (const [method, headers] of [['GET', {}], ['HEAD', {}], ['GET', { range: 'bytes=0-2' }]] as const) {
      const r = await dav(`${s.url}/g.txt`, method, { headers });
      expect(r.headers.get('oc-checksum')).toBe(`SHA1:${hex('sha1', 'get me')}`);
    }
    await mkcol(`${s.url}/folder/`);
    expect((await dav(`${s.url}/folder/`, 'GET')).headers.get('oc-checksum')).toBeNull();
  });

  it('sends none when no checksum is known, and the MD5 when only that is stored', async () => {
    await put(`${off.url}/u.txt`, 'unhashed');
    expect((await dav(`${off.url}/u.txt`, 'GET')).headers.get('oc-checksum')).toBeNull();
    const md5 = await startServer({ checksums: { algorithms: ['md5'] } });
    try {
      await put(`${md5.url}/m.txt`, 'md5 only');
      expect((await dav(`${md5.url}/m.txt`, 'HEAD')).headers.get('oc-checksum')).toBe(`MD5:${hex('md5', 'md5 only')}`);
    } finally {
      await md5.close();
    }
  });
});
