import { describe, expect, it } from '@jest/globals';
import { parseXmlIfPresent, readDavError, readSyncAnswerEach, readSyncResponse, type SyncAnswerEntry } from '../../src/index';
import { errorBody } from '../../src/xml/error-body';
import { multistatusChunks, propstatsOf } from '../../src/xml/multistatus';
import { DAV } from '../../src/xml/names';
import { chunks, fixture } from './plain';

const base = 'http://webdav.example.com/home/cyrusdaboo/';

async function join(gen: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const s of gen) out += s;
  return out;
}

function ms(inner: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">${inner}</D:multistatus>`;
}

describe('readSyncResponse: the RFC 6578 examples', () => {
  it('§3.8 initial sync: changed members with their ETags, and the token', async () => {
    const r = await readSyncResponse(fixture('rfc6578-3.8-initial.response.xml'));
    expect(r).toEqual({
      responses: [
        { type: 'changed', href: `${base}test.doc`, status: 200, etag: '"00001-abcd1"', conditions: [] },
        { type: 'changed', href: `${base}vcard.vcf`, status: 200, etag: '"00002-abcd1"', conditions: [] },
        { type: 'changed', href: `${base}calendar.ics`, status: 200, etag: '"00003-abcd1"', conditions: [] },
      ],
      token: 'http://example.com/ns/sync/1234',
      truncated: false,
    });
  });

  it('§3.9 with a token: changed and removed members', async () => {
    const r = await readSyncResponse(fixture('rfc6578-3.9-with-token.response.xml'));
    expect(r.responses.map((e) => [e.type, e.href, e.status, e.etag])).toEqual([
      ['changed', `${base}file.xml`, 200, '"00004-abcd1"'],
      ['changed', `${base}vcard.vcf`, 200, '"00002-abcd2"'],
      ['removed', `${base}test.doc`, 404, undefined],
    ]);
    expect(r.token).toBe('http://example.com/ns/sync/1238');
    expect(r.truncated).toBe(false);
  });

  it('§3.10 truncated: the 507 for the request-URI is a flag, not a member', async () => {
    const r = await readSyncResponse(fixture('rfc6578-3.10-truncation.response.xml'));
    expect(r.responses.map((e) => e.href)).toEqual([`${base}test.doc`, `${base}vcard.vcf`]);
    expect(r.truncated).toBe(true);
    expect(r.token).toBe('http://example.com/ns/sync/1233');
  });
});

describe('readSyncResponse: what the davsync server writes', () => {
  it('reads back the multistatus writer, forbidden members and error conditions included', async () => {
    const body = await join(
      multistatusChunks(
        [
          { href: '/a%20b.txt', propstats: propstatsOf([{ name: DAV.getetag, value: { text: '"1-2"' } }], [DAV.displayname]) },
          { href: '/gone/', status: 404 },
          { href: '/mount/', status: 403, error: [DAV.syncTraversalSupported] },
          { href: '/', status: 507, error: [DAV.numberOfMatchesWithinLimits] },
        ],
        { syncToken: 'urn:x-davsync:sync:abcdefgh:7' },
      ),
    );
    const r = await readSyncResponse(body);
    expect(r).toEqual({
      responses: [
        { type: 'changed', href: '/a%20b.txt', status: 200, etag: '"1-2"', conditions: [] },
        { type: 'removed', href: '/gone/', status: 404, etag: undefined, conditions: [] },
        { type: 'forbidden', href: '/mount/', status: 403, etag: undefined, conditions: [DAV.syncTraversalSupported] },
      ],
      token: 'urn:x-davsync:sync:abcdefgh:7',
      truncated: true,
    });
  });

  it('reads a body that arrives in chunks (a fetch body), split anywhere', async () => {
    const text = fixture('rfc6578-3.9-with-token.response.xml');
    const whole = await readSyncResponse(text);
    for (const size of [1, 7, 64]) await expect(readSyncResponse(chunks(text, size))).resolves.toEqual(whole);
  });

  it('gives every href of a status response that names several', async () => {
    const r = await readSyncResponse(ms('<D:response><D:href>/a</D:href><D:href>/b</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:sync-token>t</D:sync-token>'));
    expect(r.responses.map((e) => [e.type, e.href])).toEqual([['removed', '/a'], ['removed', '/b']]);
  });

  it('a changed member whose ETag the server did not return has etag undefined', async () => {
    const r = await readSyncResponse(
      ms('<D:response><D:href>/a</D:href><D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response><D:sync-token>t</D:sync-token>'),
    );
    expect(r.responses).toEqual([{ type: 'changed', href: '/a', status: 200, etag: undefined, conditions: [] }]);
  });

  it('an empty answer is no responses and a token', async () => {
    await expect(readSyncResponse(ms('<D:sync-token> urn:t:1 </D:sync-token>'))).resolves.toEqual({ responses: [], token: 'urn:t:1', truncated: false });
  });
});

describe('readSyncResponse: refusals', () => {
  const refused = (text: string, why: RegExp) => expect(readSyncResponse(text)).rejects.toThrow(why);

  it('refuses malformed XML, a DOCTYPE and an empty body with one message', async () => {
    await refused('<D:multistatus xmlns:D="DAV:">', /^davsync: not a sync-collection response: malformed XML/);
    await refused('<!DOCTYPE x [<!ENTITY a "b">]><x/>', /not a sync-collection response: DOCTYPE/);
    await refused(' \n', /not a sync-collection response: the body is empty/);
  });

  it('refuses other documents, a missing token, a response without href or status, undefined statuses', async () => {
    await refused('<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>', /\{DAV:\}error, not \{DAV:\}multistatus/);
    await refused(ms(''), /no DAV:sync-token/);
    await refused(ms('<D:response><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:sync-token>t</D:sync-token>'), /without a DAV:href/);
    await refused(ms('<D:response><D:href>/a</D:href></D:response><D:sync-token>t</D:sync-token>'), /neither propstat nor status/);
    await refused(ms('<D:response><D:href>/a</D:href><D:status>HTTP/1.1 409 Conflict</D:status></D:response><D:sync-token>t</D:sync-token>'), /status 409/);
    await refused(ms('<D:response><D:href>/a</D:href><D:status>nonsense</D:status></D:response><D:sync-token>t</D:sync-token>'), /malformed DAV:status/);
  });

  it('bounds the body size', async () => {
    const big = ms(`<D:response><D:href>/${'a'.repeat(2000)}</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:sync-token>t</D:sync-token>`);
    await expect(readSyncResponse(big, { maxBytes: 1000 })).rejects.toThrow(/larger than 1000 bytes/);
  });
});

describe('readDavError', () => {
  it('lists the conditions of a DAV:error body', async () => {
    await expect(readDavError(errorBody(DAV.validSyncToken))).resolves.toEqual([DAV.validSyncToken]);
    await expect(readDavError(Buffer.from(errorBody([DAV.supportedReport, DAV.validSyncToken])))).resolves.toEqual([DAV.supportedReport, DAV.validSyncToken]);
  });

  it('gives [] for an empty, malformed or other body, never an exception', async () => {
    for (const body of ['', '   ', 'Forbidden', '<html><body>403</body></html>', '<D:error xmlns:D="DAV:">']) {
      await expect(readDavError(body)).resolves.toEqual([]);
    }
  });
});

describe('readSyncAnswerEach: a long answer member by member', () => {
  const member = (i: number) => `<D:response><D:href>/f${i}</D:href><D:propstat><D:prop><D:getetag>"${i}"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`;
  /** The body in one chunk per member, noting how many members the reader had handed over when each chunk was asked for. */
  async function* body(n: number, handed: () => number, seen: number[]): AsyncGenerator<string> {
    yield '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">';
    for (let i = 0; i < n; i++) {
      seen.push(handed());
      yield member(i);
    }
    yield '<D:sync-token>t9</D:sync-token></D:multistatus>';
  }

  it('hands each member over as its response closes, before the rest of the body has arrived', async () => {
    const got: SyncAnswerEntry[] = [];
    const seen: number[] = [];
    const end = await readSyncAnswerEach(body(5, () => got.length, seen), (e) => got.push(e));
    expect(end).toEqual({ token: 't9', truncated: false });
    expect(got.map((e) => [e.href, e.etag])).toEqual([0, 1, 2, 3, 4].map((i) => [`/f${i}`, `"${i}"`]));
    // Member i was handed over before member i+1 was even read.
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives the same members as the whole-answer reader, truncation included', async () => {
    const text = ms(`${member(1)}<D:response><D:href>/g</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response><D:response><D:href>/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response><D:sync-token>t</D:sync-token>`);
    const got: SyncAnswerEntry[] = [];
    const end = await readSyncAnswerEach(chunks(text, 7), (e) => got.push(e));
    const whole = await readSyncResponse(text);
    expect({ ...end, responses: got.map(({ props: _p, ...e }) => e) }).toEqual(whole);
  });

  it('passes an error of the callback on as it is, and reads no further', async () => {
    const seen: number[] = [];
    let handed = 0;
    const stop = new Error('stop here');
    await expect(
      readSyncAnswerEach(body(100, () => handed, seen), () => {
        if (++handed === 3) throw stop;
      }),
    ).rejects.toBe(stop);
    expect(seen.length).toBeLessThan(10);
  });

  it('still rejects a document that turns out wrong after members were handed over', async () => {
    const got: SyncAnswerEntry[] = [];
    await expect(readSyncAnswerEach(ms(member(1)), (e) => got.push(e))).rejects.toThrow('davsync: not a sync-collection response: no DAV:sync-token');
    await expect(readSyncAnswerEach(`${ms(member(2)).slice(0, -5)}`, (e) => got.push(e))).rejects.toThrow(/not a sync-collection response: malformed XML/);
    await expect(readSyncAnswerEach(ms('<D:response/>'), (e) => got.push(e))).rejects.toThrow('davsync: not a sync-collection response: a response without a DAV:href');
  });

  it('keeps only what is not handed off in the tree (the hand-off of the XML reader)', async () => {
    const taken: string[] = [];
    const root = await parseXmlIfPresent(ms(`${member(1)}${member(2)}<D:sync-token>t</D:sync-token>`), {}, {
      accepts: (_root, child) => child.name === '{DAV:}response',
      take: (child) => taken.push(child.children[0]!.text),
    });
    expect(taken).toEqual(['/f1', '/f2']);
    expect(root!.children.map((c) => c.name)).toEqual(['{DAV:}sync-token']);
    expect(root!.content).toEqual(root!.children);
  });
});
