/**
 * Hostile input over real HTTP: entity tricks, oversized and malformed
 * bodies, path tricks and garbage headers. Every one is a clean 4xx (never a
 * 5xx), changes nothing, leaves the server answering, and any error body is
 * well-formed XML.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { startServer, syncBody, type TestServer } from '../support/server';
import { D, dav, errorConditions, expectEmptyOrXml, mkcol, propfind, propfindBody, put, rawRequest, sync, textOf, XML_HEADERS } from '../support/dav';

const XML_LIMIT = 2048;
let s: TestServer;
const unexpected: unknown[] = [];

beforeAll(async () => {
  s = await startServer({ limits: { xmlBytes: XML_LIMIT }, onError: (err) => unexpected.push(err) });
  await mkcol(`${s.url}/c/`);
  await put(`${s.url}/c/doc.txt`, 'precious');
  await mkcol(`${s.url}/c/sub/`);
  await put(`${s.url}/c/sub/deep.txt`, 'deep');
});
afterAll(async () => {
  await s.close();
});
afterEach(() => {
  // Nothing here may reach the "unexpected error" path (a bare 500).
  expect(unexpected).toEqual([]);
});

/** The store is exactly as `beforeAll` left it, and its sync token has not moved. */
let tokenBefore: string;
beforeEach(async () => {
  tokenBefore = (await sync(`${s.url}/`, syncBody('', 'infinite'))).syncToken as string;
});
async function expectUnchanged(): Promise<void> {
  const after = await sync(`${s.url}/`, syncBody(tokenBefore, 'infinite'));
  expect(after.responses).toEqual([]);
  const ms = await propfind(`${s.url}/`, 'infinity', propfindBody('<D:resourcetype/>'));
  expect([...ms.hrefs].sort()).toEqual(['/', '/c/', '/c/doc.txt', '/c/sub/', '/c/sub/deep.txt']);
  expect((await dav(`${s.url}/c/doc.txt`, 'GET')).text).toBe('precious');
}

async function expectClean4xx(status: number, text: string, expected: number): Promise<void> {
  expect(status).toBe(expected);
  await expectEmptyOrXml(text);
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?>' +
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
const EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';

describe('XML entity attacks (RFC 4918 §20.6)', () => {
  const bodies: Array<[string, string, string, string]> = [
    ['PROPPATCH', '/c/doc.txt', 'billion laughs', `${BILLION_LAUGHS}<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:x>&lol3;</Z:x></D:prop></D:set></D:propertyupdate>`],
    ['PROPPATCH', '/c/doc.txt', 'an external entity', `${EXTERNAL_ENTITY}<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:x>&xxe;</Z:x></D:prop></D:set></D:propertyupdate>`],
    ['PROPFIND', '/c/', 'billion laughs', `${BILLION_LAUGHS}<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`],
    ['PROPFIND', '/c/', 'an external entity', `${EXTERNAL_ENTITY}<D:propfind xmlns:D="DAV:"><D:prop>&xxe;</D:prop></D:propfind>`],
    ['REPORT', '/c/', 'billion laughs', `${BILLION_LAUGHS}<D:sync-collection xmlns:D="DAV:"><D:sync-token>&lol3;</D:sync-token><D:prop/></D:sync-collection>`],
    ['REPORT', '/c/', 'an external entity', `${EXTERNAL_ENTITY}<D:sync-collection xmlns:D="DAV:"><D:sync-token>&xxe;</D:sync-token><D:prop/></D:sync-collection>`],
  ];

  it.each(bodies)('%s %s with %s is refused with 400 and changes nothing', async (method, path, _, body) => {
    const r = await dav(`${s.url}${path}`, method, { headers: { ...XML_HEADERS, depth: '0' }, body });
    await expectClean4xx(r.status, r.text, 400);
    expect(r.text).not.toContain('root:');
    await expectUnchanged();
    const ms = await propfind(`${s.url}/c/doc.txt`, '0', propfindBody('<Z:x/>', ' xmlns:Z="urn:z"'));
    expect(ms.get('/c/doc.txt').statusOf('{urn:z}x')).toBe(404);
  });
});

describe('request body limits', () => {
  const padded = (size: number): string => {
    const head = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:big>';
    const tail = '</Z:big></D:prop></D:set></D:propertyupdate>';
    return head + 'x'.repeat(size - head.length - tail.length) + tail;
  };

  it('answers an XML body over the limit with 413, and the server keeps answering', async () => {
    const r = await dav(`${s.url}/c/doc.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: padded(XML_LIMIT * 2) });
    await expectClean4xx(r.status, r.text, 413);
    await expectUnchanged();
    // The limit is on size, not on the method: a body just under it works.
    const ok = await dav(`${s.url}/c/doc.txt`, 'PROPPATCH', { headers: XML_HEADERS, body: padded(XML_LIMIT - 10) });
    expect(ok.status).toBe(207);
    const clean = await dav(`${s.url}/c/doc.txt`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:remove><D:prop><Z:big/></D:prop></D:remove></D:propertyupdate>',
    });
    expect(clean.status).toBe(207);
  });

  it('answers an oversized REPORT and PROPFIND body with 413 too', async () => {
    const big = `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop>${'<D:getetag/>'.repeat(XML_LIMIT)}</D:prop></D:sync-collection>`;
    const r = await dav(`${s.url}/c/`, 'REPORT', { headers: XML_HEADERS, body: big });
    await expectClean4xx(r.status, r.text, 413);
    const pf = await dav(`${s.url}/c/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: big.replace(/sync-collection/g, 'propfind') });
    await expectClean4xx(pf.status, pf.text, 413);
    expect((await dav(`${s.url}/c/doc.txt`, 'GET')).status).toBe(200);
  });

  it('refuses XML nested deeper than the limit with 400', async () => {
    const deep = `<D:propfind xmlns:D="DAV:"><D:prop>${'<Z:a xmlns:Z="urn:z">'.repeat(40)}${'</Z:a>'.repeat(40)}</D:prop></D:propfind>`;
    expect(deep.length).toBeLessThan(XML_LIMIT);
    const r = await dav(`${s.url}/c/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: deep });
    await expectClean4xx(r.status, r.text, 400);
  });
});

describe('malformed XML', () => {
  it.each([
    ['PROPFIND', 'an unclosed element', '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>'],
    ['PROPFIND', 'text that is not XML', 'hello, server'],
    ['PROPFIND', 'an unbound prefix', '<D:propfind><D:allprop/></D:propfind>'],
    ['PROPFIND', 'the wrong root element', '<D:propertyupdate xmlns:D="DAV:"/>'],
    ['PROPFIND', 'two root elements', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind><x/>'],
    ['PROPPATCH', 'mismatched tags', '<D:propertyupdate xmlns:D="DAV:"><D:set></D:remove></D:propertyupdate>'],
    ['PROPPATCH', 'an unsupported encoding', '<?xml version="1.0" encoding="ISO-2022-JP"?><D:propertyupdate xmlns:D="DAV:"/>'],
    ['REPORT', 'a sync-collection without a sync-token', '<D:sync-collection xmlns:D="DAV:"><D:prop/></D:sync-collection>'],
    ['REPORT', 'a sync-collection without a prop', '<D:sync-collection xmlns:D="DAV:"><D:sync-token/></D:sync-collection>'],
    ['REPORT', 'an empty body', ''],
  ])('%s with %s is 400', async (method, _, body) => {
    const r = await dav(`${s.url}/c/`, method, { headers: { ...XML_HEADERS, depth: '0' }, body });
    await expectClean4xx(r.status, r.text, 400);
    await expectUnchanged();
  });

  it('refuses invalid UTF-8 in a body with 400', async () => {
    const bytes = Buffer.concat([Buffer.from('<D:propfind xmlns:D="DAV:"><D:prop><Z:'), Buffer.from([0xc3, 0x28]), Buffer.from(' xmlns:Z="urn:z"/></D:prop></D:propfind>')]);
    const r = await dav(`${s.url}/c/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: bytes });
    await expectClean4xx(r.status, r.text, 400);
  });
});

describe('request targets that try to escape or smuggle structure', () => {
  const targets = [
    '/c/../c/doc.txt',
    '/c/sub/..',
    '/..',
    '/c/%2e%2e/c/doc.txt',
    '/c/%2E%2E',
    '/c/sub/%2e%2e/%2e%2e/',
    '/c/.%2e/',
    '/c/./doc.txt',
    '/c%2Fdoc.txt',
    '/c/sub%2fdeep.txt',
    '/c/%5c..%5cdoc.txt',
    '/c/doc%00.txt',
    '/c/%00',
    '/c/doc.txt#frag',
    '/c/#',
    '/c/%zz',
    '/c/%',
    '/c/%c3%28',
  ];

  const PROPPATCH_BODY =
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:p>v</Z:p></D:prop></D:set></D:propertyupdate>';

  it.each(targets)('every method on %s is 400, never 5xx, and changes nothing', async (target) => {
    for (const method of ['GET', 'HEAD', 'PROPFIND', 'PROPPATCH', 'PUT', 'DELETE', 'COPY', 'MOVE', 'MKCOL', 'REPORT']) {
      const headers: Record<string, string> = method === 'MOVE' || method === 'COPY' ? { destination: '/c/moved.txt' } : {};
      const body = method === 'PUT' ? 'overwritten' : method === 'REPORT' ? syncBody('', '1') : method === 'PROPPATCH' ? PROPPATCH_BODY : undefined;
      const r = await rawRequest(s.origin, method, target, { headers, ...(body === undefined ? {} : { body }) });
      expect([method, target, r.status]).toEqual([method, target, 400]);
      await expectEmptyOrXml(r.text);
    }
    await expectUnchanged();
  });

  it.each(['/c/../../x', '/c/%2e%2e/%2e%2e/x', '/c%2Fx', '/c/x%00', 'c/x', '/c/x#f', '/c/%zz'])(
    'refuses Destination %s with 400 and leaves the source in place',
    async (destination) => {
      for (const method of ['COPY', 'MOVE']) {
        const r = await rawRequest(s.origin, method, '/c/doc.txt', { headers: { destination } });
        expect([method, destination, r.status]).toEqual([method, destination, 400]);
        await expectEmptyOrXml(r.text);
      }
      await expectUnchanged();
    },
  );

  it('treats a query string as not part of the path', async () => {
    const r = await rawRequest(s.origin, 'GET', '/c/doc.txt?x=../../etc');
    expect(r.status).toBe(200);
    expect(r.text).toBe('precious');
  });
});

describe('garbage headers', () => {
  const cases: Array<[string, string, string, Record<string, string>]> = [
    ['PROPFIND', '/c/', 'Depth: 2', { depth: '2' }],
    ['PROPFIND', '/c/', 'Depth: one', { depth: 'one' }],
    ['PROPFIND', '/c/', 'Depth: -1', { depth: '-1' }],
    ['PROPFIND', '/c/', 'Depth: 0, 1', { depth: '0, 1' }],
    ['COPY', '/c/doc.txt', 'Depth: 2 on COPY', { depth: '2', destination: '/c/copy.txt' }],
    ['COPY', '/c/doc.txt', 'Overwrite: maybe', { overwrite: 'maybe', destination: '/c/copy.txt' }],
    ['MOVE', '/c/doc.txt', 'Overwrite: TRUE', { overwrite: 'TRUE', destination: '/c/moved.txt' }],
    ['COPY', '/c/doc.txt', 'Destination: not a uri', { destination: 'not a uri' }],
    ['COPY', '/c/doc.txt', 'Destination: http://', { destination: 'http://' }],
    ['MOVE', '/c/doc.txt', 'Destination: relative', { destination: 'relative/path.txt' }],
    ['MOVE', '/c/doc.txt', 'Destination: urn without host', { destination: 'urn:x:y' }],
    ['MOVE', '/c/doc.txt', 'an empty Destination', { destination: '' }],
    ['PUT', '/c/doc.txt', 'If: garbage', { if: 'garbage' }],
    ['PUT', '/c/doc.txt', 'If: an unterminated Coded-URL', { if: '(<urn:x' }],
    ['DELETE', '/c/doc.txt', 'If: a Resource-Tag that is no URI', { if: '<not a uri> (["x"])' }],
    ['DELETE', '/c/doc.txt', 'If: an If header over the length limit', { if: `(${'["x"] '.repeat(2000)})` }],
    ['DELETE', '/c/doc.txt', 'If: more conditions than allowed', { if: `(${'["x"] '.repeat(300)})` }],
    ['PUT', '/c/doc.txt', 'If-Match: unquoted', { 'if-match': 'abc' }],
    ['DELETE', '/c/doc.txt', 'If-None-Match: unquoted', { 'if-none-match': 'abc, "d"' }],
    ['PUT', '/c/doc.txt', 'If-Match: * mixed with tags', { 'if-match': '*, "a"' }],
  ];

  it.each(cases)('%s %s with %s is 400 and changes nothing', async (method, path, _, headers) => {
    const body = method === 'PUT' ? 'overwritten' : undefined;
    const r = await rawRequest(s.origin, method, path, { headers, ...(body === undefined ? {} : { body }) });
    await expectClean4xx(r.status, r.text, 400);
    await expectUnchanged();
  });

  it('answers a sync REPORT with a garbage Depth with 400', async () => {
    const r = await dav(`${s.url}/c/`, 'REPORT', { headers: { ...XML_HEADERS, depth: 'deep' }, body: syncBody('', '1') });
    await expectClean4xx(r.status, r.text, 400);
  });
});

describe('a client that goes away', () => {
  it('a PUT cut off mid-body stores nothing and records no change', async () => {
    let started!: () => void;
    let settled!: () => void;
    const writing = new Promise<void>((resolve) => (started = resolve));
    const done = new Promise<void>((resolve) => (settled = resolve));
    class Watched extends MemoryAdapter {
      override async write(...args: Parameters<MemoryAdapter['write']>): ReturnType<MemoryAdapter['write']> {
        started();
        try {
          return await super.write(...args);
        } finally {
          settled();
        }
      }
    }
    const own = await startServer({ adapter: new Watched(), onError: () => undefined });
    try {
      await mkcol(`${own.url}/c/`);
      const token = (await sync(`${own.url}/c/`, syncBody('', '1'))).syncToken as string;
      const { hostname, port } = new URL(own.origin);
      const socket = connect(Number(port), hostname);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`PUT /c/partial.txt HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(100)}`);
      // Hang up once the store is reading the body.
      await writing;
      socket.destroy();
      await done;
      expect((await dav(`${own.url}/c/partial.txt`, 'GET')).status).toBe(404);
      expect((await sync(`${own.url}/c/`, syncBody(token, '1'))).responses).toEqual([]);
    } finally {
      await own.close();
    }
  });
});

describe('error bodies', () => {
  it('are well-formed DAV:error documents where a condition is defined', async () => {
    const bad = await dav(`${s.url}/c/`, 'REPORT', { headers: XML_HEADERS, body: syncBody('urn:x-davsync:sync:zzzzzzzz:1', '1') });
    expect(bad.status).toBe(403);
    expect(await errorConditions(bad.text)).toEqual([D('valid-sync-token')]);
    const notXml = await dav(`${s.url}/missing.txt`, 'GET');
    expect(notXml.status).toBe(404);
    await expectEmptyOrXml(notXml.text);
  });

  it('never echo the request back into the response reason header unsafely', async () => {
    const r = await rawRequest(s.origin, 'PROPFIND', '/c/', { headers: { depth: '\u00ff<script>' } });
    expect(r.status).toBe(400);
    const reason = r.headers['x-davsync-reason'];
    expect(typeof reason === 'string' ? reason : '').toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('after all of the above', () => {
  it('the server still answers normally', async () => {
    expect((await dav(`${s.url}/c/doc.txt`, 'GET')).text).toBe('precious');
    const ms = await propfind(`${s.url}/c/`, '1', propfindBody('<D:getetag/>'));
    expect(textOf(ms.get('/c/doc.txt').prop(D('getetag')))).toMatch(/^"/);
  });
});
