/**
 * Two davsync servers on different loopback ports, one database: a
 * randomized run writes through both at once (many parallel writers)
 * while clients sync through either, with random limits, from the tokens
 * the other server issued. Every client mirror must converge to the store,
 * and every member ever created and never changed again (one per write of
 * `/u/...`) must reach every client: a skipped revision would lose one for
 * good. Longer runs: DAVSYNC_TWO_INSTANCE_OPS, DAVSYNC_TWO_INSTANCE_SEED.
 */
import { describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { StorageAdapter } from '@davsync/core';
import { davsync } from '@davsync/express';
import { openPostgresStore, type PostgresStore } from '../src/index';
import { closeServer, listen, syncBody } from '../../express/test/support/server';
import { dav, multistatus, D } from '../../express/test/support/dav';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

const OPS_PER_WRITER = Number(process.env['DAVSYNC_TWO_INSTANCE_OPS']) || 30;
const WRITERS = 10;
const SEED = Number(process.env['DAVSYNC_TWO_INSTANCE_SEED']) || Date.now();

interface Instance {
  readonly store: PostgresStore;
  readonly server: Server;
  readonly origin: string;
}

interface Client {
  readonly collection: string;
  readonly level: '1' | 'infinite';
  token: string | null;
  mirror: Map<string, string>;
  revisions: number[];
}

/** Deterministic randomness from the seed, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const pathOf = (href: string): string => {
  const p = decodeURIComponent(new URL(href, 'http://x').pathname);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
};

/** One sync request; returns true when the client is up to date. */
async function syncOnce(origin: string, client: Client, limit: number | undefined): Promise<boolean> {
  const r = await dav(`${origin}${client.collection === '/' ? '/' : client.collection + '/'}`, 'REPORT', {
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: syncBody(client.token, client.level, '<D:getetag/>', limit),
  });
  if (r.status !== 207) throw new Error(`REPORT → ${r.status} ${r.headers.get('x-davsync-reason') ?? ''} ${r.text}`);
  const ms = await multistatus(r.text);
  if (client.token === null) client.mirror = new Map();
  let truncated = false;
  for (const res of ms.responses) {
    const path = pathOf(res.href);
    if (res.status === 507 && path === client.collection) {
      truncated = true;
    } else if (res.status === 404) {
      for (const p of [...client.mirror.keys()]) if (p === path || p.startsWith(path + '/')) client.mirror.delete(p);
    } else {
      const etag = res.prop(D('getetag'))?.text.trim() ?? '';
      client.mirror.set(path, etag.replace(/^"|"$/g, ''));
    }
  }
  client.token = ms.syncToken ?? null;
  client.revisions.push(Number(client.token?.split(':').pop()));
  return !truncated;
}

/** The store's members in a client's scope: path → ETag. */
async function storeView(adapter: StorageAdapter, collection: string, level: '1' | 'infinite'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for await (const e of adapter.list(dir)) {
      out.set(e.path, e.etag);
      if (e.collection && level === 'infinite') await walk(e.path);
    }
  };
  if ((await adapter.stat(collection))?.collection) await walk(collection);
  return out;
}

describe('two davsync instances, one database', () => {
  it(`converge every client, skipping no revision (${WRITERS} writers × ${OPS_PER_WRITER} ops, seed ${SEED})`, async () => {
    const schema = await freshSchema();
    const instances: Instance[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const pool = await newPool(8);
        const store = await openPostgresStore({ pool, schema });
        const { server, origin } = await listen(davsync({ engine: store.engine }));
        instances.push({ store, server, origin });
      }
      const [a, b] = instances as [Instance, Instance];
      expect(a.origin).not.toBe(b.origin);
      const rnd = random(SEED);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
      const origins = [a.origin, b.origin];
      for (const dir of ['/u', '/h', '/d']) expect((await dav(`${a.origin}${dir}/`, 'MKCOL')).status).toBe(201);

      const uniques: string[] = [];
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; i < OPS_PER_WRITER; i++) {
          const origin = pick(origins);
          const k = Math.floor(rnd() * 4);
          const op = rnd();
          let r;
          if (op < 0.35) {
            const path = `/u/w${w}-${i}.txt`;
            r = await dav(`${origin}${path}`, 'PUT', { body: `unique ${w} ${i}` });
            if (r.status === 201) uniques.push(path);
          } else if (op < 0.6) r = await dav(`${origin}/h/${k}.txt`, 'PUT', { body: `hot ${w} ${i}` });
          else if (op < 0.7) r = await dav(`${origin}/h/${k}.txt`, 'DELETE');
          else if (op < 0.78) r = await dav(`${origin}/d/${k}/`, 'MKCOL');
          else if (op < 0.88) r = await dav(`${origin}/d/${k}/x.txt`, 'PUT', { body: `in ${k} by ${w}` });
          else if (op < 0.93) r = await dav(`${origin}/d/${k}/`, 'DELETE');
          else if (op < 0.97) r = await dav(`${origin}/h/${k}.txt`, 'MOVE', { headers: { destination: `${origin}/h/${(k + 1) % 4}.txt` } });
          else r = await dav(`${origin}/d/${k}/`, 'COPY', { headers: { destination: `${origin}/d/${(k + 1) % 4}/` } });
          // Races between writers make some requests fail as WebDAV says; never with a server error.
          expect([200, 201, 204, 404, 405, 409, 412]).toContain(r.status);
        }
      };
      const clients: Client[] = [
        { collection: '/', level: 'infinite', token: null, mirror: new Map(), revisions: [] },
        { collection: '/', level: 'infinite', token: null, mirror: new Map(), revisions: [] },
        { collection: '/u', level: '1', token: null, mirror: new Map(), revisions: [] },
        { collection: '/d', level: 'infinite', token: null, mirror: new Map(), revisions: [] },
        { collection: '/h', level: '1', token: null, mirror: new Map(), revisions: [] },
      ];
      let writing = true;
      const syncer = async (client: Client): Promise<void> => {
        // Each request goes to either server: tokens cross instances all the time.
        while (writing) await syncOnce(pick(origins), client, rnd() < 0.5 ? 1 + Math.floor(rnd() * 5) : undefined);
      };
      const syncing = clients.map(syncer);
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      writing = false;
      await Promise.all(syncing);

      for (const [n, client] of clients.entries()) {
        let done = false;
        for (let page = 0; page < 1000 && !done; page++) done = await syncOnce(origins[(n + page) % 2] as string, client, 3);
        expect(done).toBe(true);
        const expected = await storeView(a.store.adapter, client.collection, client.level);
        expect(Object.fromEntries(client.mirror)).toEqual(Object.fromEntries(expected));
        // Tokens never went back, whichever server issued them.
        expect(client.revisions).toEqual([...client.revisions].sort((x, y) => x - y));
      }
      // Every unique member reached every client whose scope holds it.
      for (const client of clients.filter((c) => c.collection === '/' || c.collection === '/u')) {
        expect(uniques.filter((p) => !client.mirror.has(p))).toEqual([]);
      }
      expect(uniques.length).toBeGreaterThan(WRITERS * OPS_PER_WRITER * 0.2);
      // Both servers answer with the same view.
      const viaB = await storeView(b.store.adapter, '/', 'infinite');
      expect(Object.fromEntries(viaB)).toEqual(Object.fromEntries(await storeView(a.store.adapter, '/', 'infinite')));
    } finally {
      for (const i of instances) {
        await closeServer(i.server);
        await i.store.close();
        await endPool(i.store.pool);
      }
      await dropSchema(schema);
    }
  }, 120_000);
});

