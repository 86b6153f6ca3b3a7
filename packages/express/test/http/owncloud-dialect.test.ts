/**
 * The ownCloud/Nextcloud dialect over real HTTP, on the store the run asks
 * for (DAVSYNC_TEST_STORE): X-OC-Mtime on PUT, the modification-time
 * PROPPATCH properties, oc:fileid/oc:id — and that plain RFC 4918 behaviour
 * (DAV:getlastmodified protected) stays as it was. docs/clients.md.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { D, dav, errorConditions, mkcol, multistatus, propfind, propfindBody, put, sync, textOf, XML_HEADERS } from '../support/dav';

const OC = (local: string): string => `{http://owncloud.org/ns}${local}`;
const WIN32 = '{urn:schemas-microsoft-com:}Win32LastModifiedTime';
const OC_PROPS = propfindBody('<D:getlastmodified/><D:getetag/><oc:fileid/><oc:id/>', ' xmlns:oc="http://owncloud.org/ns"');

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
  base = `${s.url}/oc${++n}`;
  await mkcol(`${base}/`);
});

async function propsOf(url: string): Promise<{ modified: string | undefined; etag: string | undefined; fileid: string | undefined; id: string | undefined }> {
  const r = (await propfind(url, '0', OC_PROPS)).responses[0];
  return {
    modified: textOf(r?.prop(D('getlastmodified'))),
    etag: textOf(r?.prop(D('getetag'))),
    fileid: textOf(r?.prop(OC('fileid'))),
    id: textOf(r?.prop(OC('id'))),
  };
}

const httpDate = (unixSeconds: number): string => new Date(unixSeconds * 1000).toUTCString();

/** rclone's SetModTime body (backend/webdav: `<lastmodified xmlns="DAV:">` with Unix seconds). */
const rcloneTouch = (seconds: string): string =>
  `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><lastmodified xmlns="DAV:">${seconds}</lastmodified></D:prop></D:set></D:propertyupdate>`;

describe('PUT with X-OC-Mtime', () => {
  it('keeps the client time, answers X-OC-MTime: accepted, and the ETag it answers is the one PROPFIND reports', async () => {
    const r = await dav(`${base}/a.txt`, 'PUT', { headers: { 'x-oc-mtime': '1000000000' }, body: 'a' });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-oc-mtime')).toBe('accepted');
    const props = await propsOf(`${base}/a.txt`);
    expect(props.modified).toBe(httpDate(1_000_000_000));
    expect(props.etag).toBe(r.headers.get('etag'));
    expect(r.headers.get('oc-fileid')).toBe(props.fileid);
    expect((await dav(`${base}/a.txt`, 'GET')).headers.get('last-modified')).toBe(httpDate(1_000_000_000));
  });

  it('takes decimal seconds, and an overwrite takes the new time', async () => {
    await dav(`${base}/a.txt`, 'PUT', { headers: { 'x-oc-mtime': '1000000000' }, body: 'a' });
    const r = await dav(`${base}/a.txt`, 'PUT', { headers: { 'x-oc-mtime': '1200000000.75' }, body: 'b' });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-oc-mtime')).toBe('accepted');
    expect((await propsOf(`${base}/a.txt`)).modified).toBe(httpDate(1_200_000_000));
  });

  it('without the header stores the time of the upload and says nothing about it', async () => {
    const r = await dav(`${base}/a.txt`, 'PUT', { body: 'a' });
    expect(r.headers.get('x-oc-mtime')).toBeNull();
    const modified = Date.parse((await propsOf(`${base}/a.txt`)).modified ?? '');
    expect(Math.abs(modified - Date.now())).toBeLessThan(60_000);
  });

  it.each(['yesterday', '-5', '1e9', '12 34', '', '0x10', '253402300800', '99999999999999', '1000000000, 1000000001'])(
    'refuses X-OC-Mtime %j with 400 and stores nothing',
    async (value) => {
      await put(`${base}/keep.txt`, 'original');
      const before = await propsOf(`${base}/keep.txt`);
      for (const target of ['new.txt', 'keep.txt']) {
        const r = await dav(`${base}/${target}`, 'PUT', { headers: { 'x-oc-mtime': value }, body: 'replaced' });
        expect(r.status).toBe(400);
        expect(r.headers.get('x-davsync-reason') ?? r.text).toMatch(/X-OC-Mtime/);
      }
      expect((await dav(`${base}/new.txt`, 'GET')).status).toBe(404);
      expect((await dav(`${base}/keep.txt`, 'GET')).text).toBe('original');
      expect(await propsOf(`${base}/keep.txt`)).toEqual(before);
    },
  );
});

describe('PROPPATCH of the modification time', () => {
  it('sets it with rclone’s DAV:lastmodified, changes the ETag, and reports the member in the next sync', async () => {
    await put(`${base}/a.txt`, 'a');
    await put(`${base}/b.txt`, 'b');
    const before = await propsOf(`${base}/a.txt`);
    const first = await sync(`${base}/`, '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>');
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: rcloneTouch('1100000000') });
    expect(r.status).toBe(207);
    expect((await multistatus(r.text)).responses[0]?.statusOf(D('lastmodified'))).toBe(200);
    const after = await propsOf(`${base}/a.txt`);
    expect(after.modified).toBe(httpDate(1_100_000_000));
    expect(after.etag).not.toBe(before.etag);
    expect(after.fileid).toBe(before.fileid);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('a');
    const next = await sync(
      `${base}/`,
      `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${first.syncToken}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
    );
    expect(next.hrefs).toEqual([expect.stringMatching(/\/a\.txt$/)]);
    expect(textOf(next.responses[0]?.prop(D('getetag')))).toBe(after.etag);
  });

  it('keeps DAV:getlastmodified protected (RFC 4918 §15.7): 403 and nothing changes', async () => {
    await put(`${base}/a.txt`, 'a');
    const before = await propsOf(`${base}/a.txt`);
    const body = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getlastmodified>${httpDate(1_100_000_000)}</D:getlastmodified><D:lastmodified>1100000000</D:lastmodified></D:prop></D:set></D:propertyupdate>`;
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: XML_HEADERS, body });
    const entry = (await multistatus(r.text)).responses[0];
    expect(entry?.statusOf(D('getlastmodified'))).toBe(403);
    expect(entry?.statusOf(D('lastmodified'))).toBe(424);
    expect(await propsOf(`${base}/a.txt`)).toEqual(before);
  });

  it('sets it with Windows’ Win32LastModifiedTime, and answers that property back', async () => {
    await mkcol(`${base}/d/`);
    const when = httpDate(1_050_000_000);
    const body = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>${when}</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`;
    const r = await dav(`${base}/d/`, 'PROPPATCH', { headers: XML_HEADERS, body });
    expect((await multistatus(r.text)).responses[0]?.statusOf(WIN32)).toBe(200);
    const ms = await propfind(`${base}/d/`, '0', propfindBody('<D:getlastmodified/><Z:Win32LastModifiedTime/>', ' xmlns:Z="urn:schemas-microsoft-com:"'));
    expect(textOf(ms.responses[0]?.prop(D('getlastmodified')))).toBe(when);
    expect(textOf(ms.responses[0]?.prop(WIN32))).toBe(when);
  });

  it.each(['soon', '-1', '', '<x>1</x>', '253402300800'])('refuses DAV:lastmodified %j with 409, and applies nothing else of the request', async (value) => {
    await put(`${base}/a.txt`, 'a');
    const before = await propsOf(`${base}/a.txt`);
    const body = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:note>n</Z:note><D:lastmodified>${value}</D:lastmodified></D:prop></D:set></D:propertyupdate>`;
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: XML_HEADERS, body });
    expect(r.status).toBe(207);
    const entry = (await multistatus(r.text)).responses[0];
    expect(entry?.statusOf(D('lastmodified'))).toBe(409);
    expect(entry?.statusOf('{urn:z}note')).toBe(424);
    expect(await propsOf(`${base}/a.txt`)).toEqual(before);
    const note = await propfind(`${base}/a.txt`, '0', propfindBody('<Z:note/>', ' xmlns:Z="urn:z"'));
    expect(note.responses[0]?.statusOf('{urn:z}note')).toBe(404);
  });

  it('honours locks: without the lock token it is 423 and the time stays', async () => {
    await put(`${base}/a.txt`, 'a');
    const lockinfo = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    const locked = await dav(`${base}/a.txt`, 'LOCK', { headers: { ...XML_HEADERS, timeout: 'Second-60' }, body: lockinfo });
    const token = /^<(.+)>$/.exec(locked.headers.get('lock-token') ?? '')?.[1] as string;
    const before = await propsOf(`${base}/a.txt`);
    const refused = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: rcloneTouch('1100000000') });
    expect(refused.status).toBe(423);
    expect(await errorConditions(refused.text)).toEqual([D('lock-token-submitted')]);
    expect(await propsOf(`${base}/a.txt`)).toEqual(before);
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: { ...XML_HEADERS, if: `(<${token}>)` }, body: rcloneTouch('1100000000') });
    expect(r.status).toBe(207);
    expect((await propsOf(`${base}/a.txt`)).modified).toBe(httpDate(1_100_000_000));
  });
});

describe('COPY and MOVE with X-OC-Mtime (rclone’s server-side copy and move)', () => {
  it('give the destination file the client time; without it a copy has its own time and a move keeps the source’s', async () => {
    await dav(`${base}/a.txt`, 'PUT', { headers: { 'x-oc-mtime': '1000000000' }, body: 'a' });
    const copied = await dav(`${base}/a.txt`, 'COPY', { headers: { destination: `${base}/b.txt`, 'x-oc-mtime': '1000000000' } });
    expect(copied.status).toBe(201);
    expect(copied.headers.get('x-oc-mtime')).toBe('accepted');
    expect((await propsOf(`${base}/b.txt`)).modified).toBe(httpDate(1_000_000_000));
    await dav(`${base}/a.txt`, 'COPY', { headers: { destination: `${base}/plain.txt` } });
    expect((await propsOf(`${base}/plain.txt`)).modified).not.toBe(httpDate(1_000_000_000));
    const moved = await dav(`${base}/b.txt`, 'MOVE', { headers: { destination: `${base}/c.txt`, 'x-oc-mtime': '1100000000' } });
    expect(moved.status).toBe(201);
    expect((await propsOf(`${base}/c.txt`)).modified).toBe(httpDate(1_100_000_000));
    await dav(`${base}/c.txt`, 'MOVE', { headers: { destination: `${base}/d.txt` } });
    expect((await propsOf(`${base}/d.txt`)).modified).toBe(httpDate(1_100_000_000));
  });

  it('refuse a bad X-OC-Mtime with 400 before anything is copied or moved', async () => {
    await put(`${base}/a.txt`, 'a');
    for (const method of ['COPY', 'MOVE']) {
      const r = await dav(`${base}/a.txt`, method, { headers: { destination: `${base}/b.txt`, 'x-oc-mtime': 'garbage' } });
      expect(r.status).toBe(400);
    }
    expect((await dav(`${base}/b.txt`, 'GET')).status).toBe(404);
    expect((await dav(`${base}/a.txt`, 'GET')).text).toBe('a');
  });
});

describe('oc:fileid and oc:id', () => {
  it('are answered for files and collections, survive MOVE, and are new after COPY', async () => {
    await mkcol(`${base}/d/`);
    await put(`${base}/d/a.txt`, 'a');
    const dir = await propsOf(`${base}/d/`);
    const file = await propsOf(`${base}/d/a.txt`);
    expect(file.fileid).toMatch(/^[\x21-\x7e]+$/);
    expect(file.id).toBe(file.fileid);
    expect(dir.fileid).not.toBe(file.fileid);
    expect((await dav(`${base}/d/`, 'MOVE', { headers: { destination: `${base}/e/` } })).status).toBe(201);
    expect((await propsOf(`${base}/e/`)).fileid).toBe(dir.fileid);
    expect((await propsOf(`${base}/e/a.txt`)).fileid).toBe(file.fileid);
    expect((await dav(`${base}/e/a.txt`, 'COPY', { headers: { destination: `${base}/e/b.txt` } })).status).toBe(201);
    expect((await propsOf(`${base}/e/b.txt`)).fileid).not.toBe(file.fileid);
    expect((await propsOf(`${base}/e/a.txt`)).fileid).toBe(file.fileid);
  });

  it('come with sync-collection reports, so a client sees a MOVE as a rename', async () => {
    await put(`${base}/a.txt`, 'a');
    await put(`${base}/other.txt`, 'o');
    const ask = (token: string): string =>
      `<D:sync-collection xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/><oc:fileid/></D:prop></D:sync-collection>`;
    const first = await sync(`${base}/`, ask(''));
    const idOf = new Map(first.responses.map((r) => [r.href.replace(/.*\//, ''), textOf(r.prop(OC('fileid')))]));
    expect(idOf.get('a.txt')).toEqual(expect.any(String));
    expect((await dav(`${base}/a.txt`, 'MOVE', { headers: { destination: `${base}/renamed.txt` } })).status).toBe(201);
    const next = await sync(`${base}/`, ask(first.syncToken as string));
    const removed = next.responses.filter((r) => r.status === 404).map((r) => r.href.replace(/.*\//, ''));
    const changed = next.responses.filter((r) => r.status === undefined);
    expect(removed).toEqual(['a.txt']);
    expect(changed.map((r) => [r.href.replace(/.*\//, ''), textOf(r.prop(OC('fileid')))])).toEqual([['renamed.txt', idOf.get('a.txt')]]);
  });

  it('are protected: PROPPATCH gets 403', async () => {
    await put(`${base}/a.txt`, 'a');
    const body = '<D:propertyupdate xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:set><D:prop><oc:fileid>42</oc:fileid></D:prop></D:set></D:propertyupdate>';
    const r = await dav(`${base}/a.txt`, 'PROPPATCH', { headers: XML_HEADERS, body });
    expect((await multistatus(r.text)).responses[0]?.statusOf(OC('fileid'))).toBe(403);
  });

  it('come with a Depth 1 listing, each member its own', async () => {
    for (const name of ['a', 'b', 'c']) await put(`${base}/${name}.txt`, name);
    const ms = await propfind(`${base}/`, '1', OC_PROPS);
    const ids = ms.responses.map((r) => textOf(r.prop(OC('fileid'))));
    expect(ids.every((id) => id !== undefined && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(4);
  });
});
