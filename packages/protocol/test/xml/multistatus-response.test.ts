import { describe, expect, it } from '@jest/globals';
import { basicAuthorization, isCollectionEntry, propText, readMultistatus, readSyncAnswer, readSyncResponse } from '../../src/index';

function ms(inner: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns">${inner}</D:multistatus>`;
}

describe('readMultistatus: a PROPFIND answer as mod_dav writes it', () => {
  const body = ms(
    '<D:response><D:href>/dav/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>' +
      '<D:response><D:href>/dav/a%20b.txt</D:href><D:propstat><D:prop><D:resourcetype/><D:getetag>"5-abc"</D:getetag><D:getcontentlength>5</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>' +
      '<D:propstat><D:prop><oc:fileid/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>' +
      '<D:response><D:href>/x</D:href><D:href>/y</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>',
  );

  it('gives each response its hrefs, status and the properties of its 2xx propstats only', async () => {
    const answer = await readMultistatus(body);
    expect(answer.syncToken).toBeUndefined();
    const [root, file, gone] = answer.responses;
    expect(isCollectionEntry(root!)).toBe(true);
    expect(isCollectionEntry(file!)).toBe(false);
    expect(propText(file!, '{DAV:}getetag')).toBe('"5-abc"');
    expect(propText(file!, '{DAV:}getcontentlength')).toBe('5');
    expect(propText(file!, '{http://owncloud.org/ns}fileid')).toBeUndefined();
    expect(gone).toMatchObject({ kind: 'status', hrefs: ['/x', '/y'], status: 404 });
  });

  it('names the document it was reading in its errors', async () => {
    await expect(readMultistatus('<a/>', {}, 'PROPFIND answer')).rejects.toThrow('davsync: not a PROPFIND answer: the document is a, not {DAV:}multistatus');
    await expect(readMultistatus(ms('<D:response/>'))).rejects.toThrow('without a DAV:href');
  });
});

describe('basicAuthorization', () => {
  it('encodes user:password as UTF-8 base64 (RFC 7617 §2.1)', () => {
    expect(basicAuthorization('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(Buffer.from(basicAuthorization('jü', 'p:w').slice(6), 'base64').toString('utf8')).toBe('jü:p:w');
  });
});

describe('readSyncAnswer', () => {
  it('keeps the properties readSyncResponse leaves out: resourcetype, size, oc:fileid', async () => {
    const body = ms(
      '<D:response><D:href>/d/</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag><D:resourcetype><D:collection/></D:resourcetype><oc:fileid>42</oc:fileid></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>' +
        '<D:response><D:href>/gone</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:sync-token>t2</D:sync-token>',
    );
    const answer = await readSyncAnswer(body);
    expect(isCollectionEntry(answer.responses[0]!)).toBe(true);
    expect(propText(answer.responses[0]!, '{http://owncloud.org/ns}fileid')).toBe('42');
    expect(answer.responses[1]).toMatchObject({ type: 'removed', props: {} });
    expect(await readSyncResponse(body)).toEqual({ ...answer, responses: answer.responses.map(({ props: _p, ...e }) => e) });
  });
});
