/**
 * `ds:block-hashes` over HTTP (issue 20): a file's 4 MiB blocks and the
 * SHA-256 of each, computed while the PUT streams in, answered when named
 * and only then (not in allprop), 404 until known; a one-byte edit changes
 * exactly one block's hash. Runs on every store (DAVSYNC_TEST_STORE); the
 * last test, files written by another program into an fs store, on an fs
 * store of its own.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen, startServer, type TestServer } from '../support/server';
import { dav, mkcol, propfind, propfindBody, PROPFIND_ALL, PROPFIND_NAMES, textOf } from '../support/dav';

const DS = 'https://davsync.dev/ns';
const ASK = propfindBody('<D:getetag/><ds:block-hashes/>', ` xmlns:ds="${DS}"`);
const BLOCK = 4 * 1024 * 1024;

/** The expected block list of `bytes`, computed here independently. */
function blocksOf(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += BLOCK) out.push(createHash('sha256').update(bytes.subarray(at, at + BLOCK)).digest('hex'));
  return out;
}

/** Deterministic, incompressible-looking bytes. */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

interface Served {
  readonly blockSize?: string;
  readonly algorithm?: string;
  readonly hashes?: string[];
  readonly status?: number;
}

async function served(url: string, depth: '0' | '1', href: string, body = ASK): Promise<Served> {
  const r = (await propfind(url, depth, body)).get(href);
  const el = r.prop(`{${DS}}block-hashes`);
  if (el === undefined) {
    const status = r.statusOf(`{${DS}}block-hashes`);
    return status === undefined ? {} : { status };
  }
  const child = (local: string) => textOf(el.children.find((c) => c.name === `{${DS}}${local}`));
  const hashes = child('hashes') ?? '';
  return { blockSize: child('block-size'), algorithm: child('algorithm'), hashes: hashes === '' ? [] : hashes.split(' ') };
}

async function putBytes(url: string, bytes: Buffer): Promise<void> {
  const r = await dav(url, 'PUT', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  expect([201, 204]).toContain(r.status);
}

describe('ds:block-hashes', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await mkcol(`${s.url}/b/`);
  });
  afterAll(async () => {
    await s.close();
  });

  it('a 9 MiB file: three blocks (4, 4, 1 MiB), each hash right; a one-byte edit changes only its block', async () => {
    const bytes = pattern(9 * 1024 * 1024 + 17, 7);
    await putBytes(`${s.url}/b/big.bin`, bytes);
    const first = await served(`${s.url}/b/big.bin`, '0', '/b/big.bin');
    expect(first).toEqual({ blockSize: String(BLOCK), algorithm: 'sha256', hashes: blocksOf(bytes) });
    expect(first.hashes).toHaveLength(3);
    const edited = Buffer.from(bytes);
    edited[BLOCK + 12345] = (edited[BLOCK + 12345] as number) ^ 0xff;
    await putBytes(`${s.url}/b/big.bin`, edited);
    const second = await served(`${s.url}/b/big.bin`, '0', '/b/big.bin');
    expect(second.hashes).toEqual(blocksOf(edited));
    const changed = (second.hashes ?? []).map((h, i) => (h === first.hashes?.[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed).toEqual([1]);
  }, 60_000);

  it('a small file is one block (its SHA-256), an empty file none', async () => {
    await putBytes(`${s.url}/b/small.txt`, Buffer.from('hello blocks'));
    await putBytes(`${s.url}/b/empty.txt`, Buffer.alloc(0));
    expect(await served(`${s.url}/b/small.txt`, '0', '/b/small.txt')).toEqual({
      blockSize: String(BLOCK),
      algorithm: 'sha256',
      hashes: [createHash('sha256').update('hello blocks').digest('hex')],
    });
    expect(await served(`${s.url}/b/empty.txt`, '0', '/b/empty.txt')).toEqual({ blockSize: String(BLOCK), algorithm: 'sha256', hashes: [] });
  });

  it('answered in a Depth 1 listing when named; never in allprop; listed by propname; 404 on a collection', async () => {
    await putBytes(`${s.url}/b/listed.txt`, Buffer.from('listed'));
    expect((await served(`${s.url}/b/`, '1', '/b/listed.txt')).hashes).toEqual([createHash('sha256').update('listed').digest('hex')]);
    expect(await served(`${s.url}/b/listed.txt`, '0', '/b/listed.txt', PROPFIND_ALL)).toEqual({});
    const names = (await propfind(`${s.url}/b/listed.txt`, '0', PROPFIND_NAMES)).get('/b/listed.txt');
    expect(names.prop(`{${DS}}block-hashes`)).toBeDefined();
    expect((await served(`${s.url}/b/`, '0', '/b/')).status).toBe(404);
  });

  it('a sync REPORT naming it answers it for changed members', async () => {
    await mkcol(`${s.url}/r/`);
    await putBytes(`${s.url}/r/one.txt`, Buffer.from('one'));
    const r = await dav(`${s.url}/r/`, 'REPORT', {
      headers: { 'content-type': 'application/xml', depth: '0' },
      body: `<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:" xmlns:ds="${DS}"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><ds:block-hashes/></D:prop></D:sync-collection>`,
    });
    expect(r.status).toBe(207);
    expect(r.text).toContain(createHash('sha256').update('one').digest('hex'));
  });

  it('is protected: PROPPATCH cannot set it', async () => {
    const r = await dav(`${s.url}/b/listed.txt`, 'PROPPATCH', {
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:ds="${DS}"><D:set><D:prop><ds:block-hashes>x</ds:block-hashes></D:prop></D:set></D:propertyupdate>`,
    });
    expect(r.status).toBe(207);
    expect(r.text).toContain('403');
  });
});

describe('ds:block-hashes of files written by another program (fs store)', () => {
  let dir: string;
  let store: FsStore;
  let server: Server;
  let url: string;
  let root: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'davsync-blocks-'));
    root = join(dir, 'root');
    store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
    const listening = await listen(davsync({ engine: store.engine }));
    server = listening.server;
    url = listening.origin;
  });
  afterAll(async () => {
    await closeServer(server);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are computed in the background when a listing asks, and never describe old content', async () => {
    const bytes = pattern(5 * 1024 * 1024, 3);
    await writeFile(join(root, 'outside.bin'), bytes);
    for (let i = 0; i < 200; i++) {
      const got = await served(`${url}/`, '1', '/outside.bin');
      if (got.hashes !== undefined) {
        expect(got.hashes).toEqual(blocksOf(bytes));
        return;
      }
      expect(got.status).toBe(404);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('no block hashes within 5 s');
  }, 30_000);
});
