/**
 * Windows' WebDAV redirector (Microsoft-WebDAV-MiniRedir) saving a file:
 * it creates the file empty, LOCKs it, PUTs the content with the token in
 * an untagged If list, then PROPPATCHes its four Win32* properties in
 * `urn:schemas-microsoft-com:` with the token again, and UNLOCKs. The
 * properties are dead properties to us: stored as sent, answered by
 * PROPFIND, and — while the file is locked — only with the token. Run on
 * every store (DAVSYNC_TEST_STORE).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { D, dav, errorConditions, mkcol, multistatus, PROPFIND_ALL, propfindBody, textOf } from '../support/dav';

const Z = (local: string): string => `{urn:schemas-microsoft-com:}${local}`;

/** What Windows 10/11 sends (headers trimmed to those that matter). */
const WINDOWS = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f' } as const;
const XML = { 'content-type': 'text/xml; charset="utf-8"' } as const;

const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype><D:owner><D:href>DESKTOP-7Q2M\\ann</D:href></D:owner></D:lockinfo>';

const WIN32_PROPERTIES = {
  Win32CreationTime: 'Wed, 02 Dec 2026 07:00:00 GMT',
  Win32LastAccessTime: 'Wed, 02 Dec 2026 07:05:12 GMT',
  Win32LastModifiedTime: 'Wed, 02 Dec 2026 07:05:11 GMT',
  Win32FileAttributes: '00000020',
} as const;

const PROPPATCH =
  '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
  Object.entries(WIN32_PROPERTIES)
    .map(([name, value]) => `<Z:${name}>${value}</Z:${name}>`)
    .join('') +
  '</D:prop></D:set></D:propertyupdate>';

const PROPFIND_WIN32 = propfindBody(
  Object.keys(WIN32_PROPERTIES)
    .map((name) => `<Z:${name}/>`)
    .join(''),
  ' xmlns:Z="urn:schemas-microsoft-com:"',
);

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

let n = 0;
let base: string;
beforeEach(async () => {
  base = `${s.url}/w${++n}`;
  await mkcol(`${base}/`);
});

async function lockFile(url: string): Promise<string> {
  const r = await dav(url, 'LOCK', { headers: { ...WINDOWS, ...XML, timeout: 'Second-3600' }, body: LOCKINFO });
  expect(r.status).toBe(200);
  const token = /^<(.+)>$/.exec(r.headers.get('lock-token') ?? '')?.[1];
  expect(token).toBeDefined();
  return token as string;
}

/** The Win32 properties PROPFIND answers for `url`, by local name (found ones only). */
async function win32Of(url: string, body = PROPFIND_WIN32): Promise<Record<string, string | undefined>> {
  const r = await dav(url, 'PROPFIND', { headers: { ...WINDOWS, ...XML, depth: '0' }, body });
  expect(r.status).toBe(207);
  const response = (await multistatus(r.text)).responses[0];
  return Object.fromEntries(Object.keys(WIN32_PROPERTIES).map((name) => [name, textOf(response?.prop(Z(name)))]));
}

describe("Windows' save sequence", () => {
  it('PUT empty, LOCK, PUT with If, PROPPATCH Win32* with If, UNLOCK: every step succeeds and PROPFIND answers the properties', async () => {
    const url = `${base}/Report.docx`;
    expect((await dav(url, 'PUT', { headers: { ...WINDOWS, 'content-length': '0' }, body: '' })).status).toBe(201);
    const token = await lockFile(url);
    const put = await dav(url, 'PUT', { headers: { ...WINDOWS, if: `(<${token}>)` }, body: 'the report' });
    expect(put.status).toBe(204);
    const patch = await dav(url, 'PROPPATCH', { headers: { ...WINDOWS, ...XML, if: `(<${token}>)` }, body: PROPPATCH });
    expect(patch.status).toBe(207);
    const patched = (await multistatus(patch.text)).responses[0];
    for (const name of Object.keys(WIN32_PROPERTIES)) expect(patched?.statusOf(Z(name))).toBe(200);
    expect(await win32Of(url)).toEqual(WIN32_PROPERTIES);
    expect((await dav(url, 'UNLOCK', { headers: { ...WINDOWS, 'lock-token': `<${token}>` } })).status).toBe(204);
    // Kept past the UNLOCK, with the content.
    expect(await win32Of(url)).toEqual(WIN32_PROPERTIES);
    expect((await dav(url, 'GET')).text).toBe('the report');
  });

  it('LOCK of a new name (201, the lock-null member Windows creates), then the same PUT and PROPPATCH', async () => {
    const url = `${base}/New Text Document.txt`.replace(/ /g, '%20');
    const r = await dav(url, 'LOCK', { headers: { ...WINDOWS, ...XML, timeout: 'Second-3600' }, body: LOCKINFO });
    expect(r.status).toBe(201);
    const token = /^<(.+)>$/.exec(r.headers.get('lock-token') ?? '')?.[1] as string;
    expect((await dav(url, 'PUT', { headers: { ...WINDOWS, if: `(<${token}>)` }, body: 'hello' })).status).toBe(204);
    expect((await dav(url, 'PROPPATCH', { headers: { ...WINDOWS, ...XML, if: `(<${token}>)` }, body: PROPPATCH })).status).toBe(207);
    expect(await win32Of(url)).toEqual(WIN32_PROPERTIES);
  });

  it('on a locked file, a PROPPATCH without the token is 423 DAV:lock-token-submitted and stores nothing', async () => {
    const url = `${base}/locked.txt`;
    expect((await dav(url, 'PUT', { body: 'x' })).status).toBe(201);
    await lockFile(url);
    const r = await dav(url, 'PROPPATCH', { headers: { ...WINDOWS, ...XML }, body: PROPPATCH });
    expect(r.status).toBe(423);
    expect(await errorConditions(r.text)).toEqual([D('lock-token-submitted')]);
    expect(Object.values(await win32Of(url)).every((v) => v === undefined)).toBe(true);
  });

  it('allprop returns the Win32 properties with the live ones (dead properties are in allprop, RFC 4918 §9.1)', async () => {
    const url = `${base}/all.txt`;
    expect((await dav(url, 'PUT', { body: 'x' })).status).toBe(201);
    expect((await dav(url, 'PROPPATCH', { headers: XML, body: PROPPATCH })).status).toBe(207);
    expect(await win32Of(url, PROPFIND_ALL)).toEqual(WIN32_PROPERTIES);
  });

  it('a later PROPPATCH (Windows on every save) replaces the values', async () => {
    const url = `${base}/again.txt`;
    expect((await dav(url, 'PUT', { body: 'x' })).status).toBe(201);
    expect((await dav(url, 'PROPPATCH', { headers: XML, body: PROPPATCH })).status).toBe(207);
    const later = PROPPATCH.replace(WIN32_PROPERTIES.Win32LastModifiedTime, 'Thu, 03 Dec 2026 09:00:00 GMT');
    expect((await dav(url, 'PROPPATCH', { headers: XML, body: later })).status).toBe(207);
    expect((await win32Of(url)).Win32LastModifiedTime).toBe('Thu, 03 Dec 2026 09:00:00 GMT');
  });
});
