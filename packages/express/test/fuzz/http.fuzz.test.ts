/**
 * HTTP-level fuzzing through the framework-neutral handler (in process, no
 * sockets): random methods, targets, headers and bodies against a small
 * seeded store. Nothing may reach `onError` (a bare 500); error bodies are
 * well-formed XML; a refused request (status ≥ 400) leaves the store exactly
 * as it was; and the server keeps answering. Run counts: `DAVSYNC_FUZZ_RUNS`
 * (see generators.ts).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MemoryAdapter } from '@davsync/adapter-memory';
import type { StorageAdapter } from '@davsync/core';
import { createDavHandler, type DavHandler, type DavRequest, type DavResponse } from '@davsync/express';
import { parseXml } from '@davsync/protocol';
import { hrefOf } from '../../src/hrefs';
import { multistatus } from '../support/dav';
import { bodyOf, chunked, cleanDocumentOf, fuzzParams, fuzzTimeout, mutatedDocument, mutatedDocumentOf, propertyupdateDoc, propfindDoc, syncCollectionDoc, pathSegment, printIf, validIf, type MutatedDocument, type XmlNode } from '../../../protocol/test/fuzz/generators';

const ORIGIN = 'http://127.0.0.1:8080';
const XML_LIMIT = 16 * 1024;

interface Fixture {
  readonly handler: DavHandler;
  readonly adapter: StorageAdapter;
  /** Everything passed to `onError`: must stay empty. */
  readonly unexpected: unknown[];
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Calls the handler and reads the whole body (a failure while streaming it is a finding too). */
async function call(f: Fixture, req: DavRequest): Promise<Reply> {
  const res: DavResponse = await f.handler(req);
  return { status: res.status, headers: res.headers, body: await drain(res.body) };
}

async function drain(body: DavResponse['body']): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(parts);
}

function request(method: string, url: string, headers: Record<string, string> = {}, body: string | Uint8Array | readonly Uint8Array[] = [], base = ''): DavRequest {
  const chunks = typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body instanceof Uint8Array ? [body] : body;
  return { method, url, base, headers, body: Readable.from(chunks.filter((c) => c.byteLength > 0)), origin: ORIGIN };
}

const XML = { 'content-type': 'application/xml; charset=utf-8' };

/** A fresh store with a few members and a dead property, served by a handler that records unexpected errors. */
async function seeded(): Promise<Fixture> {
  const adapter = new MemoryAdapter();
  const unexpected: unknown[] = [];
  const handler = createDavHandler({ adapter, onError: (err) => unexpected.push(err), limits: { xmlBytes: XML_LIMIT } });
  const f = { handler, adapter, unexpected };
  const steps: Array<[string, string, Record<string, string>, string]> = [
    ['MKCOL', '/c/', {}, ''],
    ['PUT', '/c/doc.txt', { 'content-type': 'text/plain' }, 'precious'],
    ['MKCOL', '/c/sub/', {}, ''],
    ['PUT', '/c/sub/deep.txt', {}, 'deep'],
    ['PUT', '/top.txt', {}, 'top'],
    ['PROPPATCH', '/c/doc.txt', XML, '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:note xml:lang="en">kept</Z:note></D:prop></D:set></D:propertyupdate>'],
    ['PROPPATCH', '/c/', XML, '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>blue</Z:color></D:prop></D:set></D:propertyupdate>'],
  ];
  for (const [method, url, headers, body] of steps) {
    const r = await call(f, request(method, url, headers, body));
    if (r.status >= 300) throw new Error(`seeding ${method} ${url} answered ${r.status}`);
  }
  return f;
}

/** The whole store as data: every path with its type, ETag, content type and dead properties. */
async function snapshot(adapter: StorageAdapter): Promise<string> {
  const rows: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const entry = await adapter.stat(path);
    if (entry === undefined) throw new Error(`snapshot: ${path} vanished`);
    const props = (await adapter.properties?.get(path)) ?? {};
    rows.push(JSON.stringify([path, entry.collection, entry.etag, entry.contentType ?? null, entry.size ?? null, Object.entries(props).sort()]));
    if (!entry.collection) return;
    const children: string[] = [];
    for await (const member of adapter.list(path)) children.push(member.path);
    for (const child of children.sort()) await visit(child);
  };
  await visit('/');
  return rows.join('\n');
}

// --- Random requests -------------------------------------------------------------------

const METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'REPORT'];
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...METHODS) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('LOCK', 'UNLOCK', 'POST', 'get', 'propfind', 'TRACE', 'SEARCH', '', 'constructor', 'valueOf', 'toString', '__proto__', 'hasOwnProperty'), fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~0-9-]{1,10}$/)) },
);

const NAMES = ['c', 'doc.txt', 'sub', 'deep.txt', 'top.txt', 'new', 'new.txt', 'x y', 'C', 'DOC.TXT', 'é'];
const segment = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: pathSegment });
const pathArb = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean(), fc.constantFrom('', '', '', '', '', '', '', '', '', '', '?x=1', '?a/../b', '#frag', '?'))
  .map(([segs, slash, tail]) => `/${segs.map((s) => (NAMES.includes(s) ? encodeURIComponent(s) : s)).join('/')}${slash && segs.length > 0 ? '/' : ''}${tail}`);
const EXISTING = ['/', '/c/', '/c', '/c/doc.txt', '/c/sub/', '/c/sub/deep.txt', '/top.txt', '/c/sub/../doc.txt', '/c/%64oc.txt'];
const url = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...EXISTING) }, { weight: 2, arbitrary: fc.constantFrom('/.uploads', '/.uploads/', '/.uploads/AAAAAAAAAAAAAAAAAAAAAA', '/.uploads/../c/doc.txt', '/.uploads/x?y') }, { weight: 20, arbitrary: pathArb }, { weight: 1, arbitrary: fc.constantFrom('*', '', 'c/doc.txt', 'http://127.0.0.1:8080/c/', '//c') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', ' ', '\t', '\u0000', 'é', '"', ',', '*'));
/** Mostly values a client could send, sometimes junk. */
const validish = (valid: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: junk });
const destinationPath = fc.constantFrom('/c/new', '/c/sub/new.txt', '/new/', '/new.txt', '/', '/c/doc.txt', '/c/sub', '/top.txt', '/c/sub/deep.txt', '/c');
const headerValues: Record<string, fc.Arbitrary<string>> = {
  depth: validish(fc.constantFrom('0', '1', 'infinity', 'Infinity', ' 1 ', '2', '-1', '01')),
  destination: validish(
    fc.oneof(
      destinationPath,
      destinationPath.map((p) => `${ORIGIN}${p}`),
      destinationPath.map((p) => `/dav${p}`),
      pathArb,
      pathArb.map((p) => `${ORIGIN}${p}`),
      fc.constantFrom('http://elsewhere.example/c/x', 'urn:x', 'http://127.0.0.1:8080', 'http:///x', 'http://[::1/x', '/c/%2e%2e/x', '/c/a%2fb'),
    ),
  ),
  overwrite: validish(fc.constantFrom('T', 'F', 't', 'f', ' F ', 'TRUE')),
  if: validish(fc.oneof(validIf.map((h) => printIf(h)), fc.constantFrom('(Not <DAV:no-lock>)', '(<DAV:no-lock>)', '</c/doc.txt> (Not <DAV:no-lock>)', '([W/"x"])', '<http://127.0.0.1:8080/c/> (Not ["x"])', '<http://elsewhere/c/> (Not ["x"])', '(<http://davsync.dev/sync/x-1>)'))),
  'if-match': validish(fc.constantFrom('*', '"x"', 'W/"x"', '"a", "b"', ', ,', '* , "x"')),
  'if-none-match': validish(fc.constantFrom('*', '"x"', 'W/"x"', '"a", "b"')),
  'content-type': validish(fc.constantFrom('application/xml', 'text/xml; charset=utf-8', 'text/plain', 'application/octet-stream', 'x'.repeat(300), 'application/partial-upload', 'application/x-sabredav-partialupdate')),
  'upload-complete': validish(fc.constantFrom('?0', '?1', '?1;x=1', '1', 'true')),
  'upload-offset': validish(fc.constantFrom('0', '1', '4', '-1', '99999999999999999999', '1.5')),
  'upload-length': validish(fc.constantFrom('0', '4', '8', '-1', '99999999999999999999')),
  'upload-draft-interop-version': validish(fc.constantFrom('8', '7', '6')),
  'x-update-range': validish(fc.constantFrom('bytes=0-3', 'bytes=2-', 'bytes=-2', 'append', 'bytes=5-1', 'bytes=99-', 'bytes=0-0,2-3', 'bytes=-99')),
  range: validish(fc.constantFrom('bytes=0-3', 'bytes=-2', 'bytes=5-1', 'bytes=0-', 'bytes=-0', 'bytes=99999999999999999999-', 'bytes=0-0,2-3', 'bytes=100-200', 'items=0-1')),
  'if-range': validish(fc.constantFrom('"x"', 'Mon, 01 Jan 2024 00:00:00 GMT')),
  'content-range': fc.constantFrom('bytes 0-3/4', 'x'),
  'content-length': fc.constantFrom('0', '5', 'x'),
};
/** Up to four random headers; COPY and MOVE mostly get a Destination, which they need to get anywhere. */
const headersFor = (m: string): fc.Arbitrary<Record<string, string>> =>
  fc
    .tuple(fc.uniqueArray(fc.constantFrom(...Object.keys(headerValues)), { maxLength: 4 }), fc.nat(9))
    .map(([names, dice]) => ((m === 'COPY' || m === 'MOVE') && dice < 8 && !names.includes('destination') ? ['destination', ...names] : names))
    .chain((names) => (names.length === 0 ? fc.constant({}) : fc.record(Object.fromEntries(names.map((n) => [n, headerValues[n] as fc.Arbitrary<string>])))));

type Body = { kind: 'empty' } | { kind: 'bytes'; bytes: Uint8Array; sizes: number[] } | { kind: 'xml'; doc: MutatedDocument };
/** The body shape the method reads, so requests get past the parser often enough to reach the store. */
const shaped = (trees: fc.Arbitrary<XmlNode>): fc.Arbitrary<MutatedDocument> => fc.oneof(cleanDocumentOf(trees), mutatedDocumentOf(trees));
const SHAPES: Record<string, fc.Arbitrary<MutatedDocument>> = {
  PROPFIND: shaped(propfindDoc),
  PROPPATCH: shaped(propertyupdateDoc),
  REPORT: shaped(syncCollectionDoc),
};
const bodyFor = (m: string): fc.Arbitrary<Body> => {
  const shape = Object.hasOwn(SHAPES, m) ? SHAPES[m] : undefined;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Body>({ kind: 'empty' }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 80 }), sizes: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('xml' as const), doc: mutatedDocument }) },
    ...(shape === undefined ? [] : [{ weight: 6, arbitrary: fc.record({ kind: fc.constant('xml' as const), doc: shape }) }]),
  );
};

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Body;
  base: string;
}
const fuzzRequest: fc.Arbitrary<FuzzRequest> = method.chain((m) => fc.record({ method: fc.constant(m), url, headers: headersFor(m), body: bodyFor(m), base: fc.constantFrom('', '', '/dav') }));

function toRequest(r: FuzzRequest): DavRequest {
  let chunks: readonly Uint8Array[] = [];
  if (r.body.kind === 'bytes') chunks = chunked(r.body.bytes, r.body.sizes);
  else if (r.body.kind === 'xml') {
    const b = bodyOf(r.body.doc);
    const bytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    chunks = r.body.doc.encoding === 'chunks' ? chunked(bytes, r.body.doc.chunkSizes) : [bytes];
  }
  return request(r.method, r.url, r.headers, chunks, r.base);
}

/** The checks every answer must pass, whatever the request. */
async function checkReply(r: Reply, f: Fixture): Promise<void> {
  expect(f.unexpected).toEqual([]);
  expect(Number.isInteger(r.status) && r.status >= 100 && r.status < 600).toBe(true);
  if (r.status >= 500) {
    // The only 5xx davsync answers on purpose: a Destination on another
    // server or outside the mount point (502, RFC 4918 §9.8.5) and a sync
    // `DAV:limit` it cannot honour (507, RFC 6578 §3.7). Both come from a
    // DavError, so they carry a reason; a bare 500 never does.
    expect([502, 507]).toContain(r.status);
  }
  // Every XML body is well-formed, success or not (a 207 included).
  const type = r.headers['content-type'] ?? '';
  if (r.body.length > 0 && /xml/.test(type)) await expect(parseXml(r.body, { maxBytes: Infinity, maxElements: Infinity })).resolves.toBeDefined();
  if (r.status >= 400) {
    // Refusals carry a short, printable reason. Two answers are not refusals
    // of a DavError and have none: 405 for a method davsync does not
    // implement, and 416 for a range outside the content (with Content-Range).
    const reason = r.headers['x-davsync-reason'];
    if (r.status === 416) expect(r.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
    else if (r.status !== 405 || reason !== undefined) expect(reason).toMatch(/^davsync: [\x20-\x7e]{1,191}$/);
  }
}

async function stillAnswers(f: Fixture): Promise<void> {
  const r = await call(f, request('PROPFIND', '/', { depth: '0' }));
  expect(r.status).toBe(207);
  expect((await multistatus(r.body.toString('utf8'))).hrefs).toEqual(['/']);
}

describe('fuzzing every method through the handler', () => {
  it('random requests: no 500, no onError, well-formed error bodies, and a refused request changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const f = await seeded();
        const before = await snapshot(f.adapter);
        const reply = await call(f, toRequest(r));
        await checkReply(reply, f);
        if (reply.status >= 400) expect(await snapshot(f.adapter)).toBe(before);
        await stillAnswers(f);
        expect(f.unexpected).toEqual([]);
      }),
      fuzzParams(1),
    );
  }, fuzzTimeout(1));
});

// --- Valid mutations interleaved with junk --------------------------------------------------

const member = fc.constantFrom('/c/doc.txt', '/c/sub/deep.txt', '/top.txt', '/c/n1.txt', '/c/sub/n2.txt', '/n3.txt', '/c/d1', '/c/sub', '/c', '/d2');
type Step = { kind: 'valid'; op: string; path: string; to: string; n: number } | { kind: 'junk'; request: FuzzRequest };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      op: fc.constantFrom('PUT', 'PUT', 'MKCOL', 'DELETE', 'COPY', 'MOVE', 'PROPPATCH', 'PROPPATCH-remove'),
      path: member,
      to: member,
      n: fc.nat(5),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('junk' as const), request: fuzzRequest }) },
);

function validRequest(s: Extract<Step, { kind: 'valid' }>): DavRequest {
  const href = encodeURI(s.path);
  switch (s.op) {
    case 'PUT':
      return request('PUT', href, { 'content-type': 'text/plain' }, `content ${s.n}`);
    case 'MKCOL':
      return request('MKCOL', `${href}/`);
    case 'DELETE':
      return request('DELETE', href);
    case 'COPY':
    case 'MOVE':
      return request(s.op, href, { destination: `${ORIGIN}${encodeURI(s.to)}`, overwrite: s.n % 2 === 0 ? 'T' : 'F' });
    case 'PROPPATCH':
      return request('PROPPATCH', href, XML, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:p${s.n}>v${s.n}</Z:p${s.n}></D:prop></D:set></D:propertyupdate>`);
    default:
      return request('PROPPATCH', href, XML, `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:remove><D:prop><Z:p${s.n}/><Z:note/></D:prop></D:remove></D:propertyupdate>`);
  }
}

describe('fuzzing sequences of requests', () => {
  it('valid mutations interleaved with junk leave the server answering PROPFIND and sync exactly as the store is', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const f = await seeded();
        for (const s of steps) {
          const before = await snapshot(f.adapter);
          const reply = await call(f, s.kind === 'valid' ? validRequest(s) : toRequest(s.request));
          await checkReply(reply, f);
          if (reply.status >= 400) expect(await snapshot(f.adapter)).toBe(before);
        }
        // The final PROPFIND lists exactly what the store holds, with its ETags.
        const expected = new Map<string, string>();
        for (const row of (await snapshot(f.adapter)).split('\n')) {
          const [path, collection, etag] = JSON.parse(row) as [string, boolean, string];
          expected.set(hrefOf('', path, collection), etag);
        }
        const pf = await call(f, request('PROPFIND', '/', { depth: 'infinity', ...XML }, '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'));
        expect(pf.status).toBe(207);
        const ms = await multistatus(pf.body.toString('utf8'));
        expect([...ms.hrefs].sort()).toEqual([...expected.keys()].sort());
        for (const [href, etag] of expected) {
          if (href.endsWith('/')) continue; // collections: ETag optional in PROPFIND
          expect(ms.get(href).prop('{DAV:}getetag')?.text).toBe(`"${etag}"`);
        }
        // An initial sync of the whole store reports every member but the root.
        const sync = await call(f, request('REPORT', '/', XML, '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>infinite</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>'));
        expect(sync.status).toBe(207);
        const synced = await multistatus(sync.body.toString('utf8'));
        expect([...synced.hrefs].sort()).toEqual([...expected.keys()].filter((h) => h !== '/').sort());
        expect(f.unexpected).toEqual([]);
      }),
      fuzzParams(0.25),
    );
  }, fuzzTimeout(0.25));
});
