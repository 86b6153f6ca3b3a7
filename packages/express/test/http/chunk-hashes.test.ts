/**
 * `ds:chunk-hashes` over HTTP: a file's FastCDC chunk list, computed on
 * demand when a PROPFIND names it on the file itself — the value checked
 * against the chunker run here on the same bytes — the same list again
 * from the cache, a new list for a new version (an insertion keeps most
 * chunk hashes); in a listing only when already cached, never in allprop,
 * 404 on a collection and on a listing's uncached members, protected from
 * PROPPATCH, a missing file a plain 404. Runs on every store
 * (DAVSYNC_TEST_STORE).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FASTCDC_CHUNKER, FASTCDC_PARAMS, chunksOf, type ContentChunk } from '@davsync/protocol';
import { startServer, type TestServer } from '../support/server';
import { dav, mkcol, propfind, propfindBody, PROPFIND_ALL, PROPFIND_NAMES, textOf, XML_HEADERS } from '../support/dav';

const DS = 'https://davsync.dev/ns';
const NAME = `{${DS}}chunk-hashes`;
const ASK = propfindBody('<D:getetag/><ds:chunk-hashes/>', ` xmlns:ds="${DS}"`);
const MiB = 1024 * 1024;

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}
const localChunks = (bytes: Buffer): Promise<ContentChunk[]> => chunksOf(once(bytes), FASTCDC_PARAMS);

interface Served {
  readonly params?: Record<string, string | undefined>;
  readonly chunks?: ContentChunk[];
  readonly status?: number;
}

async function served(url: string, depth: '0' | '1' | 'infinity', href: string, body = ASK): Promise<Served> {
  const r = (await propfind(url, depth, body)).get(href);
  const el = r.prop(NAME);
  if (el === undefined) {
    const status = r.statusOf(NAME);
    return status === undefined ? {} : { status };
  }
  const child = (local: string) => textOf(el.children.find((c) => c.name === `{${DS}}${local}`));
  const params = { chunker: child('chunker'), min: child('min-size'), avg: child('avg-size'), max: child('max-size'), algorithm: child('algorithm') };
  const listed = child('chunks') ?? '';
  const chunks = (listed === '' ? [] : listed.split(' ')).map((item) => {
    const [offset, length, hash] = item.split(':');
    return { offset: Number(offset), length: Number(length), hash: hash as string };
  });
  return { params, chunks };
}

async function putBytes(url: string, bytes: Buffer): Promise<void> {
  const r = await dav(url, 'PUT', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  expect([201, 204]).toContain(r.status);
}

describe('ds:chunk-hashes', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await mkcol(`${s.url}/c/`);
  });
  afterAll(async () => {
    await s.close();
  });

  it('a 24 MiB file: the list the chunker gives here, with its parameters; a 1 KiB insertion keeps most chunks', async () => {
    const bytes = randomBytes(24 * MiB);
    await putBytes(`${s.url}/c/big.bin`, bytes);
    const expected = await localChunks(bytes);
    const first = await served(`${s.url}/c/big.bin`, '0', '/c/big.bin');
    expect(first.params).toEqual({ chunker: FASTCDC_CHUNKER, min: String(FASTCDC_PARAMS.min), avg: String(FASTCDC_PARAMS.avg), max: String(FASTCDC_PARAMS.max), algorithm: 'sha256' });
    expect(first.chunks).toEqual(expected);
    expect(expected.length).toBeGreaterThan(2);
    // Asked again: the same list (from the cache).
    expect((await served(`${s.url}/c/big.bin`, '0', '/c/big.bin')).chunks).toEqual(expected);

    const at = 12 * MiB + 321;
    const inserted = Buffer.concat([bytes.subarray(0, at), randomBytes(1024), bytes.subarray(at)]);
    await putBytes(`${s.url}/c/big.bin`, inserted);
    const second = await served(`${s.url}/c/big.bin`, '0', '/c/big.bin');
    expect(second.chunks).toEqual(await localChunks(inserted));
    const before = new Set(expected.map((c) => c.hash));
    const fresh = (second.chunks ?? []).filter((c) => !before.has(c.hash)).reduce((n, c) => n + c.length, 0);
    expect(fresh).toBeGreaterThan(1024);
    expect(fresh).toBeLessThan(2 * FASTCDC_PARAMS.max);
  }, 60_000);

  it('a small file is one chunk, an empty file none', async () => {
    await putBytes(`${s.url}/c/small.txt`, Buffer.from('hello chunks'));
    await putBytes(`${s.url}/c/empty.txt`, Buffer.alloc(0));
    expect((await served(`${s.url}/c/small.txt`, '0', '/c/small.txt')).chunks).toEqual(await localChunks(Buffer.from('hello chunks')));
    expect((await served(`${s.url}/c/empty.txt`, '0', '/c/empty.txt')).chunks).toEqual([]);
  });

  it('a listing answers it only for members already chunked; never in allprop; listed by propname; 404 on a collection', async () => {
    await mkcol(`${s.url}/l/`);
    await putBytes(`${s.url}/l/a.txt`, Buffer.from('aaa'));
    await putBytes(`${s.url}/l/b.txt`, Buffer.from('bbb'));
    // Not chunked yet: a Depth 1 (or infinity) listing does not read the files.
    expect((await served(`${s.url}/l/`, '1', '/l/a.txt')).status).toBe(404);
    expect((await served(`${s.url}/`, 'infinity', '/l/b.txt')).status).toBe(404);
    expect((await served(`${s.url}/l/`, '1', '/l/')).status).toBe(404);
    // Once asked on the file itself, the listing has it.
    expect((await served(`${s.url}/l/a.txt`, '0', '/l/a.txt')).chunks).toHaveLength(1);
    expect((await served(`${s.url}/l/`, '1', '/l/a.txt')).chunks).toEqual(await localChunks(Buffer.from('aaa')));
    expect(await served(`${s.url}/l/a.txt`, '0', '/l/a.txt', PROPFIND_ALL)).toEqual({});
    expect((await propfind(`${s.url}/l/a.txt`, '0', PROPFIND_NAMES)).get('/l/a.txt').prop(NAME)).toBeDefined();
  });

  it('is protected; a missing file is a plain 404; a malformed request a 400', async () => {
    const patch = await dav(`${s.url}/l/a.txt`, 'PROPPATCH', {
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:ds="${DS}"><D:set><D:prop><ds:chunk-hashes>x</ds:chunk-hashes></D:prop></D:set></D:propertyupdate>`,
    });
    expect(patch.status).toBe(207);
    expect(patch.text).toContain('403');
    expect((await dav(`${s.url}/l/none.bin`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: ASK })).status).toBe(404);
    const bad = await dav(`${s.url}/l/a.txt`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body: `<D:propfind xmlns:D="DAV:"><D:prop><ds:chunk-hashes xmlns:ds="${DS}">` });
    expect(bad.status).toBe(400);
  });
});
