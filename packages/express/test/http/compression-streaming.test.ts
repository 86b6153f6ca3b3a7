/**
 * A gzip'd multistatus still streams (issue 20): the compressor is flushed
 * at each chunk the multistatus writer hands out, so the first members of a
 * long listing reach the client, decodable, while the listing is still
 * being read; and a client that goes away mid-stream stops the listing
 * without an error being reported. The listing is held at a gate by a
 * memory adapter wrapper, so these run on the memory store whatever
 * DAVSYNC_TEST_STORE says (the behaviour is the writer's, not a store's).
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { createGunzip } from 'node:zlib';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import type { Entry, ReadOptions, StorageAdapter } from '@davsync/core';
import { startServer, type TestServer } from '../support/server';
import { mkcol, propfindBody, put, XML_HEADERS } from '../support/dav';

const MEMBERS = 1200;
const HELD_AFTER = 800; // ~800 responses of ~250 characters: several 64 KiB chunks before the gate
const LISTING = propfindBody('<D:getetag/><D:displayname/>');

/** A memory adapter whose listings stop after `HELD_AFTER` members until `open()`; `finished` counts listings that ended (fully or not). */
function gatedAdapter() {
  const inner = new MemoryAdapter();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const state = { held: false, finished: 0, armed: false };
  async function* list(path: string, options?: ReadOptions): AsyncGenerator<Entry> {
    let n = 0;
    try {
      for await (const entry of inner.list(path, options)) {
        if (state.armed && ++n === HELD_AFTER) {
          state.held = true;
          await gate;
        }
        yield entry;
      }
    } finally {
      state.finished++;
    }
  }
  const adapter = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'list') return list;
      if (prop === 'listBatches') return undefined;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as StorageAdapter;
  return { adapter, state, open: () => release() };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

jest.setTimeout(60_000);

describe('gzip streaming', () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  async function populated(errors: unknown[]) {
    const g = gatedAdapter();
    s = await startServer({ adapter: g.adapter, onError: (err) => errors.push(err) });
    await mkcol(`${s.url}/c/`);
    for (let i = 0; i < MEMBERS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => put(`${s!.url}/c/m-${String(i + j).padStart(5, '0')}.txt`, `member ${i + j}`)));
    }
    g.state.armed = true;
    return g;
  }

  function listing(url: string): { req: ClientRequest; decoded: string[]; headers: Promise<Record<string, unknown>>; done: Promise<void> } {
    const decoded: string[] = [];
    let req!: ClientRequest;
    let done!: Promise<void>;
    const headers = new Promise<Record<string, unknown>>((resolve, reject) => {
      req = httpRequest(url, { method: 'PROPFIND', headers: { ...XML_HEADERS, depth: '1', 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        resolve(res.headers);
        const gunzip = createGunzip();
        gunzip.on('data', (c: Buffer) => decoded.push(c.toString('utf8')));
        done = new Promise((ok, fail) => {
          gunzip.on('end', () => ok());
          gunzip.on('error', fail);
          res.on('error', fail);
        });
        res.pipe(gunzip);
      });
      req.on('error', reject);
      req.end(LISTING);
    });
    return { req, decoded, headers, get done() { return done; } };
  }

  it('the first members arrive, decodable, while the listing is held', async () => {
    const errors: unknown[] = [];
    const g = await populated(errors);
    const l = listing(`${s!.url}/c/`);
    const headers = await l.headers;
    expect(headers['content-encoding']).toBe('gzip');
    expect(headers['content-length']).toBeUndefined();
    // Bytes decoded while the store has not listed member HELD_AFTER yet: only a flushed compressor gives them.
    // First the store stops listing at HELD_AFTER; what is decoded after that came through a flush.
    await until(() => g.state.held, 'the listing held at the gate');
    await until(() => l.decoded.join('').includes('m-00100.txt'), 'the first members');
    expect(g.state.held).toBe(true);
    expect(l.decoded.join('')).not.toContain('m-01000.txt');
    g.open();
    await l.done;
    const text = l.decoded.join('');
    expect(text.match(/<D:response>/g)?.length).toBe(MEMBERS + 1);
    expect(text.endsWith('</D:multistatus>')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a client that goes away mid-stream ends the listing, with no error reported', async () => {
    const errors: unknown[] = [];
    const g = await populated(errors);
    const l = listing(`${s!.url}/c/`);
    await l.headers;
    await until(() => l.decoded.length > 0 && g.state.held, 'the first bytes');
    const finishedBefore = g.state.finished;
    const cut = l.done.catch((err: unknown) => err);
    l.req.destroy();
    expect(String(await cut)).toMatch(/aborted|reset|closed/i);
    g.open();
    await until(() => g.state.finished > finishedBefore, 'the listing to end');
    // The server is still fine.
    const r = await fetch(`${s!.url}/c/m-00001.txt`);
    expect(await r.text()).toBe('member 1');
    expect(errors).toEqual([]);
  });
});
