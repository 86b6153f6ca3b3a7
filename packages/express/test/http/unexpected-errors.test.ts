import { afterEach, expect, it } from '@jest/globals';
import express from 'express';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { DavError, type StorageAdapter } from '@davsync/core';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

/** A memory store seen through a plain object, with some of its methods replaced. */
function delegating(adapter: MemoryAdapter, replaced: Partial<StorageAdapter>): StorageAdapter {
  return {
    stat: (p) => adapter.stat(p),
    list: (p) => adapter.list(p),
    read: (p, r) => adapter.read(p, r),
    write: (p, b, o) => adapter.write(p, b, o),
    remove: (p) => adapter.remove(p),
    mkcol: (p) => adapter.mkcol(p),
    copy: (a, b, o) => adapter.copy(a, b, o),
    move: (a, b, o) => adapter.move(a, b, o),
    ...replaced,
  };
}

/** Serves `adapter`; resolves to its origin and what reached `onError`. */
async function serve(adapter: StorageAdapter): Promise<{ origin: string; seen: unknown[] }> {
  const seen: unknown[] = [];
  const app = express();
  app.use(davsync({ adapter, onError: (err) => seen.push(err) }));
  const { server, origin } = await listen(app);
  servers.push(() => closeServer(server));
  return { origin, seen };
}

it('answers a failure inside a streamed answer with a bare 500, never the host error page, and reports it', async () => {
  const broken = delegating(new MemoryAdapter(), {
    list: () => {
      throw new Error('disk on fire at /secret/path');
    },
  });
  const { origin, seen } = await serve(broken);
  const res = await fetch(`${origin}/`, { method: 'PROPFIND', headers: { depth: '1' } });
  const text = await res.text();
  expect(res.status).toBe(500);
  expect(text).toBe('');
  expect(seen).toHaveLength(1);
  expect(String(seen[0])).toContain('disk on fire');
});

it('answers an expected failure inside a streamed answer through the error table (503 for an unavailable store)', async () => {
  const adapter = new MemoryAdapter();
  await adapter.write('/a.txt', (async function* () { yield Buffer.from('a'); })());
  const store = adapter.properties!;
  const unavailable = delegating(adapter, {
    properties: {
      get: () => Promise.reject(new DavError('unavailable', 'davsync: store unavailable', '/a.txt')),
      patch: (p, set, remove) => store.patch(p, set, remove),
    },
  });
  const { origin, seen } = await serve(unavailable);
  const res = await fetch(`${origin}/a.txt`, { method: 'PROPFIND', headers: { depth: '0' } });
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toBeNull();
  expect(await res.text()).toBe('');
  expect(res.headers.get('x-davsync-reason')).toBeNull(); // a 5xx reason stays in the log
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({ code: 'unavailable' });
});

it('stores a dead property named __proto__ like any other', async () => {
  const app = express();
  app.use(davsync({ adapter: new MemoryAdapter() }));
  const { server, origin } = await listen(app);
  servers.push(() => closeServer(server));
  await fetch(`${origin}/a.txt`, { method: 'PUT', body: 'a' });
  const patch = await fetch(`${origin}/a.txt`, {
    method: 'PROPPATCH',
    body: '<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop><X:__proto__>kept</X:__proto__></D:prop></D:set></D:propertyupdate>',
  });
  expect(patch.status).toBe(207);
  const found = await fetch(`${origin}/a.txt`, {
    method: 'PROPFIND',
    headers: { depth: '0' },
    body: '<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop><X:__proto__/></D:prop></D:propfind>',
  });
  const xml = await found.text();
  expect(xml).toMatch(/__proto__[^>]*>kept</);
  expect(xml).toContain('200 OK');
});
