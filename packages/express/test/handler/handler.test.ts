/**
 * The framework-neutral handler, called directly with a `DavRequest` (no
 * socket): dispatch, options, the error table, the mount base and origin,
 * and the cases a real HTTP stack cannot even send (an unknown method token
 * Node's parser would refuse first).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { DavError, MemoryJournal, SyncEngine, type DavErrorCode, type StorageAdapter } from '@davsync/core';
import { createDavHandler, type DavHandler, type DavRequest, type DavResponse } from '@davsync/express';
import { syncBody } from '../support/server';
import { D, errorConditions, multistatus, textOf } from '../support/dav';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly streamed: boolean;
}

async function call(
  handler: DavHandler,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string; base?: string; origin?: string } = {},
): Promise<Reply> {
  const req: DavRequest = {
    method,
    url,
    base: options.base ?? '',
    headers: options.headers ?? {},
    body: Readable.from(options.body === undefined ? [] : [Buffer.from(options.body)]),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  };
  const res: DavResponse = await handler(req);
  return { status: res.status, headers: res.headers, text: await bodyText(res.body), streamed: isStream(res.body) };
}

const isStream = (body: DavResponse['body']): boolean => body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);

async function bodyText(body: DavResponse['body']): Promise<string> {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  let text = '';
  for await (const chunk of body) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}

const memory = (): DavHandler => createDavHandler({ adapter: new MemoryAdapter() });

describe('dispatch', () => {
  it('answers any method it does not implement with 405 and Allow, whatever the token', async () => {
    const h = memory();
    for (const method of ['BREW', 'POST', 'X-CUSTOM', 'lock']) {
      const r = await call(h, method, '/');
      expect(r.status).toBe(405);
      expect(r.headers['allow']).toBe('OPTIONS, GET, HEAD, PUT, PATCH, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, REPORT, LOCK, UNLOCK');
    }
  });

  it('exposes the engine it serves', async () => {
    const engine = new SyncEngine({ adapter: new MemoryAdapter() });
    const h = createDavHandler({ engine });
    expect(h.engine).toBe(engine);
    expect((await call(h, 'MKCOL', '/c/')).status).toBe(201);
    expect((await engine.adapter.stat('/c'))?.collection).toBe(true);
  });

  it('streams PROPFIND and REPORT multistatus bodies rather than building one string', async () => {
    const h = memory();
    await call(h, 'MKCOL', '/c/');
    for (let i = 0; i < 50; i++) await call(h, 'PUT', `/c/m${i}.txt`, { body: `member ${i}` });
    const pf = await call(h, 'PROPFIND', '/c/', { headers: { depth: '1' } });
    expect(pf.status).toBe(207);
    expect(pf.streamed).toBe(true);
    expect((await multistatus(pf.text)).hrefs).toHaveLength(51);
    const rep = await call(h, 'REPORT', '/c/', { body: syncBody('', '1') });
    expect(rep.streamed).toBe(true);
    expect((await multistatus(rep.text)).hrefs).toHaveLength(50);
  });
});

describe('options', () => {
  it('refuses unknown options, naming them (a typo never silently does nothing)', () => {
    expect(() => createDavHandler({ adapter: new MemoryAdapter(), pagesize: 10 } as never)).toThrow(/pagesize/);
  });

  it('needs exactly one of adapter and engine', () => {
    const adapter = new MemoryAdapter();
    expect(() => createDavHandler({} as never)).toThrow(TypeError);
    expect(() => createDavHandler({ adapter, engine: new SyncEngine({ adapter }) })).toThrow(/exactly one/);
  });

  it('gives the engine it makes for a self-journaling adapter that adapter’s journal', () => {
    const journal = new MemoryJournal();
    const adapter: StorageAdapter = Object.assign(new MemoryAdapter(), { recordsChangesIn: journal });
    expect(createDavHandler({ adapter }).engine.journal).toBe(journal);
  });

  it('refuses engine settings next to an engine of your own', () => {
    const adapter = new MemoryAdapter();
    expect(() => createDavHandler({ engine: new SyncEngine({ adapter }), pageSize: 5 })).toThrow(/pageSize/);
  });

  it('refuses bad limits', () => {
    expect(() => createDavHandler({ adapter: new MemoryAdapter(), limits: { xmlBytes: -1 } })).toThrow(/xmlBytes/);
    expect(() => createDavHandler({ adapter: new MemoryAdapter(), limits: { xmlbytes: 5 } as never })).toThrow(/xmlbytes/);
  });
});

describe('the error table', () => {
  /** A memory store whose `write` fails with `err`. */
  function failingWrites(err: unknown): StorageAdapter {
    const adapter = new MemoryAdapter();
    return Object.assign(Object.create(adapter) as MemoryAdapter, {
      write: async () => {
        throw err;
      },
      stat: adapter.stat.bind(adapter),
      list: adapter.list.bind(adapter),
    });
  }

  it.each<[DavErrorCode, number]>([
    ['forbidden', 403],
    ['conflict', 409],
  ])('answers a %s error from the store with %i and its reason', async (code, status) => {
    const reported: unknown[] = [];
    const h = createDavHandler({ adapter: failingWrites(new DavError(code, 'nope', '/a.txt')), onError: (e) => reported.push(e) });
    const r = await call(h, 'PUT', '/a.txt', { body: 'x' });
    expect(r.status).toBe(status);
    expect(r.headers['x-davsync-reason']).toBe('davsync: nope');
    expect(reported).toHaveLength(0);
  });

  it.each<[DavErrorCode, number]>([
    ['insufficient-storage', 507],
    ['unavailable', 503],
  ])('answers a %s failure of the store with %i, its message in the log only', async (code, status) => {
    const reported: unknown[] = [];
    const err = new DavError(code, 'davsync: database at db.internal:5432 refused', '/a.txt');
    const h = createDavHandler({ adapter: failingWrites(err), onError: (e) => reported.push(e) });
    const r = await call(h, 'PUT', '/a.txt', { body: 'x' });
    expect(r.status).toBe(status);
    expect(r.headers['x-davsync-reason']).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain('db.internal');
    expect(reported).toEqual([err]);
  });

  it('answers an unexpected error with a bare 500, reports it to onError, and leaks nothing', async () => {
    const seen: unknown[] = [];
    const secret = new Error('ECONNREFUSED 10.0.0.7:5432 password=hunter2');
    const h = createDavHandler({ adapter: failingWrites(secret), onError: (err) => seen.push(err) });
    const r = await call(h, 'PUT', '/a.txt', { body: 'x' });
    expect(r.status).toBe(500);
    expect(r.text).toBe('');
    expect(JSON.stringify(r.headers)).not.toContain('hunter2');
    expect(seen).toEqual([secret]);
  });

  it('closes the connection after a 413 (the rest of the body is never read)', async () => {
    const h = createDavHandler({ adapter: new MemoryAdapter(), limits: { xmlBytes: 100 } });
    const r = await call(h, 'PROPFIND', '/', { body: `<D:propfind xmlns:D="DAV:"><D:prop>${'<D:getetag/>'.repeat(50)}</D:prop></D:propfind>` });
    expect(r.status).toBe(413);
    expect(r.headers['connection']).toBe('close');
  });

  it('gives an error with a DAV:error condition an XML body with a matching Content-Length', async () => {
    const h = memory();
    await call(h, 'MKCOL', '/c/');
    const r = await call(h, 'REPORT', '/c/', { body: syncBody('urn:x-davsync:sync:aaaaaaaa:0', '1') });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toMatch(/^application\/xml/);
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.text)));
    expect(await errorConditions(r.text)).toEqual([D('valid-sync-token')]);
  });
});

describe('mount base and origin', () => {
  it('puts the base in front of every href and resolves Destinations under it', async () => {
    const h = memory();
    const base = '/mnt/dav';
    expect((await call(h, 'MKCOL', '/c/', { base })).status).toBe(201);
    expect((await call(h, 'PUT', '/c/a.txt', { base, body: 'a' })).status).toBe(201);
    const copy = await call(h, 'COPY', '/c/a.txt', { base, headers: { destination: 'http://h.example/mnt/dav/c/b.txt' }, origin: 'http://h.example' });
    expect(copy.status).toBe(201);
    const outside = await call(h, 'COPY', '/c/a.txt', { base, headers: { destination: '/mnt/c/x.txt' } });
    expect(outside.status).toBe(502);
    const pf = await multistatus((await call(h, 'PROPFIND', '/c/', { base, headers: { depth: '1' } })).text);
    expect([...pf.hrefs].sort()).toEqual(['/mnt/dav/c/', '/mnt/dav/c/a.txt', '/mnt/dav/c/b.txt']);
  });

  it('compares the Destination host with the request origin case-insensitively', async () => {
    const h = memory();
    await call(h, 'PUT', '/a.txt', { body: 'a' });
    const same = await call(h, 'COPY', '/a.txt', { headers: { destination: 'HTTP://H.Example/b.txt' }, origin: 'http://h.example' });
    expect(same.status).toBe(201);
    const other = await call(h, 'COPY', '/a.txt', { headers: { destination: 'http://h.example:8080/c.txt' }, origin: 'http://h.example' });
    expect(other.status).toBe(502);
  });
});

describe('hrefs', () => {
  it('percent-encodes names in hrefs (space, non-ASCII, %, ?) and keeps sub-delims readable', async () => {
    const h = memory();
    await call(h, 'MKCOL', '/c/');
    const names = ['caf%C3%A9 menu.txt', 'a%20b', '100%25', 'q%3F', "it's(1)+x=y;z,@.txt"];
    for (const n of names) expect((await call(h, 'PUT', `/c/${n}`, { body: n })).status).toBe(201);
    const hrefs = [...(await multistatus((await call(h, 'PROPFIND', '/c/', { headers: { depth: '1' } })).text)).hrefs].sort();
    expect(hrefs).toEqual(
      ['/c/', '/c/100%25', '/c/a%20b', '/c/caf%C3%A9%20menu.txt', "/c/it's(1)+x=y;z,@.txt", '/c/q%3F'].sort(),
    );
    // Every href can be requested as written.
    for (const href of hrefs.filter((x) => x !== '/c/')) expect((await call(h, 'GET', href)).status).toBe(200);
  });

  it('reports the same hrefs in a sync as in PROPFIND', async () => {
    const h = memory();
    await call(h, 'MKCOL', '/c/');
    await call(h, 'PUT', '/c/caf%C3%A9 menu.txt', { body: 'x' });
    await call(h, 'MKCOL', '/c/sub%20dir/');
    const ms = await multistatus((await call(h, 'REPORT', '/c/', { body: syncBody('', '1') })).text);
    expect([...ms.hrefs].sort()).toEqual(['/c/caf%C3%A9%20menu.txt', '/c/sub%20dir/']);
  });
});

describe('sync responses for members recorded by the host (wrap mode)', () => {
  it('answers from the journal when a recorded member is not in the store: its ETag, and 404 for other properties', async () => {
    const adapter = new MemoryAdapter();
    const engine = new SyncEngine({ adapter });
    const h = createDavHandler({ engine });
    await call(h, 'MKCOL', '/c/');
    await engine.record([{ path: '/c/ghost.ics', etag: 'ghost-1' }]);
    const r = await call(h, 'REPORT', '/c/', { body: syncBody('', '1', '<D:getetag/><D:displayname/>') });
    expect(r.status).toBe(207);
    const ghost = (await multistatus(r.text)).get('/c/ghost.ics');
    expect(textOf(ghost.prop(D('getetag')))).toBe('"ghost-1"');
    expect(ghost.statusOf(D('displayname'))).toBe(404);
  });

  it('answers getetag-only syncs from the journal alone, without touching the store', async () => {
    const adapter = new MemoryAdapter();
    const engine = new SyncEngine({ adapter });
    const h = createDavHandler({ engine });
    await call(h, 'MKCOL', '/c/');
    await call(h, 'PUT', '/c/a.txt', { body: 'a' });
    let stats = 0;
    const stat = adapter.stat.bind(adapter);
    adapter.stat = async (p: string) => {
      if (p === '/c/a.txt') stats++;
      return stat(p);
    };
    const ms = await multistatus((await call(h, 'REPORT', '/c/', { body: syncBody('', '1', '<D:getetag/><D:resourcetype/>') })).text);
    expect(ms.hrefs).toEqual(['/c/a.txt']);
    expect(stats).toBe(0);
  });
});
