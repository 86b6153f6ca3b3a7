/**
 * LOCK and UNLOCK (RFC 4918 §6–7, §9.10–9.11) and the lock check on every
 * write, against the neutral handler (no socket): each rule, and the bad
 * input that must be a 4xx changing nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { MemoryLockStore, SyncEngine } from '@davsync/core';
import { createDavHandler, type DavHandler } from '@davsync/express';
import { parseXml, type XmlElement } from '@davsync/protocol';
import { D, errorConditions, multistatus } from '../support/dav';
import { call, lockinfo, type Reply } from '../support/handler-call';

function setup(maxTimeoutSeconds = 3600): { h: DavHandler; engine: SyncEngine } {
  const engine = new SyncEngine({ adapter: new MemoryAdapter(), locks: new MemoryLockStore({ maxTimeoutSeconds }) });
  return { h: createDavHandler({ engine }), engine };
}

/** LOCKs `url` and returns its token. */
async function lock(h: DavHandler, url: string, scope: 'exclusive' | 'shared' = 'exclusive', headers: Record<string, string> = {}): Promise<string> {
  const r = await call(h, 'LOCK', url, headers, lockinfo(scope));
  expect([200, 201]).toContain(r.status);
  const m = /^<(urn:uuid:[0-9a-f-]{36})>$/.exec(r.headers['lock-token'] ?? '');
  expect(m).not.toBeNull();
  return (m as RegExpExecArray)[1] as string;
}

const child = (el: XmlElement | undefined, local: string): XmlElement | undefined => el?.children.find((c) => c.name === D(local));

async function activeLocks(text: string): Promise<readonly XmlElement[]> {
  const root = await parseXml(text);
  expect(root.name).toBe(D('prop'));
  return child(root, 'lockdiscovery')?.children ?? [];
}

async function putText(h: DavHandler, url: string, text: string, headers: Record<string, string> = {}): Promise<number> {
  return (await call(h, 'PUT', url, headers, text)).status;
}

describe('LOCK', () => {
  it('locks an existing member: 200, Lock-Token, the lock in DAV:lockdiscovery with owner, depth, timeout and root', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    const r = await call(h, 'LOCK', '/a.txt', { timeout: 'Second-600', depth: '0' }, lockinfo('exclusive'));
    expect(r.status).toBe(200);
    const token = /^<(.+)>$/.exec(r.headers['lock-token'] ?? '')?.[1];
    const [active, ...more] = await activeLocks(r.text);
    expect(more).toEqual([]);
    expect(child(child(active, 'lockscope'), 'exclusive')).toBeDefined();
    expect(child(child(active, 'locktype'), 'write')).toBeDefined();
    expect(child(active, 'depth')?.text).toBe('0');
    expect(child(active, 'timeout')?.text).toBe('Second-600');
    expect(child(child(active, 'locktoken'), 'href')?.text).toBe(token);
    expect(child(child(active, 'lockroot'), 'href')?.text).toBe('/a.txt');
    expect(child(child(active, 'owner'), 'href')?.text).toBe('mailto:ann@example.com');
  });

  it('defaults to Depth infinity and caps the timeout at the store maximum, Infinite included', async () => {
    const { h } = setup(120);
    await call(h, 'MKCOL', '/c/');
    const r = await call(h, 'LOCK', '/c/', { timeout: 'Infinite, Second-4100000000' }, lockinfo('shared'));
    const [active] = await activeLocks(r.text);
    expect(child(active, 'depth')?.text).toBe('infinity');
    expect(child(active, 'timeout')?.text).toBe('Second-120');
    expect(child(child(active, 'lockroot'), 'href')?.text).toBe('/c/');
    const big = await call(h, 'LOCK', '/x', { timeout: 'Second-99999999999999999999' }, lockinfo('shared'));
    expect(child((await activeLocks(big.text))[0], 'timeout')?.text).toBe('Second-120');
  });

  it('creates an empty member at an unmapped URL (201), journaled like a PUT; LOCK and UNLOCK leave ETag and sync token alone', async () => {
    const { h, engine } = setup();
    await call(h, 'MKCOL', '/c/');
    const before = await engine.currentToken('/c');
    const r = await call(h, 'LOCK', '/c/new.txt', {}, lockinfo('exclusive'));
    expect(r.status).toBe(201);
    const created = await engine.adapter.stat('/c/new.txt');
    expect(created?.size ?? 0).toBe(0);
    const afterCreate = await engine.currentToken('/c');
    expect(afterCreate).not.toBe(before);
    const token = /^<(.+)>$/.exec(r.headers['lock-token'] ?? '')?.[1] as string;
    // Lock again (shared elsewhere), refresh, unlock: nothing in the journal moves.
    await lock(h, '/c/', 'shared', { depth: '0' });
    expect((await call(h, 'LOCK', '/c/new.txt', { if: `(<${token}>)` })).status).toBe(200);
    expect((await call(h, 'UNLOCK', '/c/new.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect(await engine.currentToken('/c')).toBe(afterCreate);
    expect((await engine.adapter.stat('/c/new.txt'))?.etag).toBe(created?.etag);
  });

  it('answers a LOCK under a missing collection with 409 and keeps no lock', async () => {
    const { h, engine } = setup();
    expect((await call(h, 'LOCK', '/missing/a.txt', {}, lockinfo('exclusive'))).status).toBe(409);
    expect(await engine.locks.count()).toBe(0);
  });

  it('refuses a conflicting LOCK with 423 DAV:no-conflicting-lock naming the lock root', async () => {
    const { h } = setup();
    await call(h, 'MKCOL', '/c/');
    await putText(h, '/c/a.txt', 'a');
    await lock(h, '/c/');
    for (const scope of ['exclusive', 'shared'] as const) {
      const r = await call(h, 'LOCK', '/c/a.txt', {}, lockinfo(scope));
      expect(r.status).toBe(423);
      const root = await parseXml(r.text);
      const cond = child(root, 'no-conflicting-lock');
      expect(cond).toBeDefined();
      expect(child(cond, 'href')?.text).toBe('/c/');
    }
  });

  it('grants a second shared lock on a shared-locked member', async () => {
    const { h, engine } = setup();
    await putText(h, '/a.txt', 'a');
    const t1 = await lock(h, '/a.txt', 'shared');
    const t2 = await lock(h, '/a.txt', 'shared');
    expect(t1).not.toBe(t2);
    expect(await engine.locks.count()).toBe(2);
  });

  it.each([
    ['not XML', 'nonsense'],
    ['another root', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'],
    ['an unknown scope', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:tight/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'],
    ['an unknown type', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:read/></D:locktype></D:lockinfo>'],
    ['no scope', '<D:lockinfo xmlns:D="DAV:"><D:locktype><D:write/></D:locktype></D:lockinfo>'],
    ['two scopes', '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'],
    ['an owner too long', lockinfo('exclusive', `<D:owner>${'x'.repeat(5000)}</D:owner>`)],
  ])('answers a lockinfo with %s with 400 and creates nothing', async (_what, body) => {
    const { h, engine } = setup();
    const r = await call(h, 'LOCK', '/a.txt', {}, body);
    expect(r.status).toBe(400);
    expect(await engine.adapter.stat('/a.txt')).toBeUndefined();
    expect(await engine.locks.count()).toBe(0);
  });

  it.each([
    ['Timeout: Second-x', { timeout: 'Second-x' }],
    ['Timeout: Second--5', { timeout: 'Second--5' }],
    ['Timeout: empty', { timeout: '' }],
    ['Timeout: Infinite,,', { timeout: 'Infinite,,' }],
    ['Depth: 1', { depth: '1' }],
    ['Depth: 2', { depth: '2' }],
  ])('answers %s with 400 and creates nothing', async (_what, headers) => {
    const { h, engine } = setup();
    expect((await call(h, 'LOCK', '/a.txt', headers, lockinfo('exclusive'))).status).toBe(400);
    expect(await engine.adapter.stat('/a.txt')).toBeUndefined();
    expect(await engine.locks.count()).toBe(0);
  });
});

describe('LOCK refresh', () => {
  it('refreshes with no body and the token in If: 200 and the refreshed lock', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    const token = await lock(h, '/a.txt', 'exclusive', { timeout: 'Second-10' });
    const r = await call(h, 'LOCK', '/a.txt', { if: `(<${token}>)`, timeout: 'Second-900' });
    expect(r.status).toBe(200);
    const [active] = await activeLocks(r.text);
    expect(child(child(active, 'locktoken'), 'href')?.text).toBe(token);
    expect(child(active, 'timeout')?.text).toBe('Second-900');
  });

  it('refreshes a depth-infinity lock through a member it covers', async () => {
    const { h } = setup();
    await call(h, 'MKCOL', '/c/');
    await putText(h, '/c/a.txt', 'a');
    const token = await lock(h, '/c/');
    expect((await call(h, 'LOCK', '/c/a.txt', { if: `(<${token}>)` })).status).toBe(200);
  });

  it('answers 400 without an If header or without a lock token in it, 412 for a token that is no lock here', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    await putText(h, '/b.txt', 'b');
    const token = await lock(h, '/a.txt');
    expect((await call(h, 'LOCK', '/a.txt')).status).toBe(400);
    expect((await call(h, 'LOCK', '/a.txt', { if: '(Not <DAV:no-lock>)' })).status).toBe(400);
    expect((await call(h, 'LOCK', '/a.txt', { if: '(<urn:uuid:00000000-0000-0000-0000-000000000000>)' })).status).toBe(412);
    expect((await call(h, 'LOCK', '/b.txt', { if: `(<${token}>)` })).status).toBe(412);
    expect((await call(h, 'LOCK', '/a.txt', { if: '(<urn:uuid:' })).status).toBe(400);
  });

  it('refreshes only a token from a list that is true', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    const token = await lock(h, '/a.txt');
    // The header is true (its second list), but the token's own list is not: nothing refreshed, 412.
    expect((await call(h, 'LOCK', '/a.txt', { if: `(<${token}> ["wrong"]) (Not <DAV:no-lock>)` })).status).toBe(412);
  });
});

describe('UNLOCK', () => {
  it('removes the lock: 204, and the member may be written without a token', async () => {
    const { h, engine } = setup();
    await putText(h, '/a.txt', 'a');
    const token = await lock(h, '/a.txt');
    expect(await putText(h, '/a.txt', 'b')).toBe(423);
    expect((await call(h, 'UNLOCK', '/a.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect(await engine.locks.count()).toBe(0);
    expect(await putText(h, '/a.txt', 'b')).toBe(204);
  });

  it('answers a token that does not cover the URL with 409 DAV:lock-token-matches-request-uri, keeping the lock', async () => {
    const { h, engine } = setup();
    await putText(h, '/a.txt', 'a');
    await putText(h, '/b.txt', 'b');
    const token = await lock(h, '/a.txt');
    for (const [url, t] of [['/b.txt', token], ['/a.txt', 'urn:uuid:00000000-0000-0000-0000-000000000000']] as const) {
      const r = await call(h, 'UNLOCK', url, { 'lock-token': `<${t}>` });
      expect(r.status).toBe(409);
      expect(await errorConditions(r.text)).toEqual([D('lock-token-matches-request-uri')]);
    }
    expect(await engine.locks.count()).toBe(1);
  });

  it('takes the token without its angle brackets too (the npm webdav client and Windows send it bare)', async () => {
    const { h, engine } = setup();
    await putText(h, '/a.txt', 'a');
    await putText(h, '/b.txt', 'b');
    const token = await lock(h, '/a.txt');
    // Bare, it is still checked against the URL like any other.
    expect((await call(h, 'UNLOCK', '/b.txt', { 'lock-token': token })).status).toBe(409);
    expect((await call(h, 'UNLOCK', '/a.txt', { 'lock-token': ` ${token} ` })).status).toBe(204);
    expect(await engine.locks.count()).toBe(0);
  });

  const malformed = [undefined, '', 'not-a-uri', 'urn:uuid:x y', '<urn:uuid:x', 'urn:uuid:x>', '<>', '<not a uri>', '<urn:uuid:x> <urn:uuid:y>'];
  it.each(malformed)('answers Lock-Token %p with 400', async (value) => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    expect((await call(h, 'UNLOCK', '/a.txt', value === undefined ? {} : { 'lock-token': value })).status).toBe(400);
  });
});

describe('the lock check on writes', () => {
  async function lockedTree(): Promise<{ h: DavHandler; engine: SyncEngine; token: string }> {
    const { h, engine } = setup();
    await call(h, 'MKCOL', '/c/');
    await call(h, 'MKCOL', '/c/d/');
    await putText(h, '/c/a.txt', 'a');
    await call(h, 'MKCOL', '/other/');
    const token = await lock(h, '/c/');
    return { h, engine, token };
  }

  async function expectLocked(r: Reply, roots: string[]): Promise<void> {
    expect(r.status).toBe(423);
    const root = await parseXml(r.text);
    expect(root.name).toBe(D('error'));
    const cond = child(root, 'lock-token-submitted');
    expect(cond?.children.map((c) => c.text).sort()).toEqual(roots.sort());
  }

  it.each([
    ['PUT', '/c/a.txt', {}, 'x'],
    ['PUT (a new member)', '/c/new.txt', {}, 'x'],
    ['DELETE', '/c/a.txt', {}, undefined],
    ['MKCOL', '/c/e/', {}, undefined],
    ['PROPPATCH', '/c/a.txt', {}, '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>'],
    ['MOVE (source)', '/c/a.txt', { destination: '/other/a.txt' }, undefined],
    ['MOVE (destination)', '/other/', { destination: '/c/d/moved/' }, undefined],
    ['COPY (destination)', '/other/', { destination: '/c/copy/' }, undefined],
  ])('refuses %s without the token: 423 DAV:lock-token-submitted naming the root, nothing changed', async (label, url, headers, body) => {
    const { h, engine } = await lockedTree();
    const method = label.split(' ')[0] as string;
    const token = await engine.currentToken('/');
    await expectLocked(await call(h, method, url, headers, body), ['/c/']);
    expect(await engine.currentToken('/')).toBe(token);
  });

  it.each([
    ['PUT', '/c/a.txt', {}, 'x', 204],
    ['PUT (a new member)', '/c/new.txt', {}, 'x', 201],
    ['DELETE', '/c/a.txt', {}, undefined, 204],
    ['MKCOL', '/c/e/', {}, undefined, 201],
    ['PROPPATCH', '/c/a.txt', {}, '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>', 207],
    ['MOVE (source)', '/c/a.txt', { destination: '/other/a.txt' }, undefined, 201],
    ['COPY (destination)', '/other/', { destination: '/c/copy/' }, undefined, 201],
  ])('lets %s through with the token in an untagged or a tagged list', async (label, url, headers, body, status) => {
    for (const tagged of [false, true]) {
      const { h, token } = await lockedTree();
      const method = label.split(' ')[0] as string;
      const ifValue = tagged ? `</c/> (<${token}>)` : `(<${token}>)`;
      // An untagged list is about the request URL: for a COPY, tag the destination's lock.
      const header = method === 'COPY' && !tagged ? `</c/copy/> (<${token}>)` : ifValue;
      expect((await call(h, method, url, { ...headers, if: header }, body)).status).toBe(status);
    }
  });

  it('needs the tokens of the locks below a collection to DELETE or MOVE it', async () => {
    const { h } = setup();
    await call(h, 'MKCOL', '/c/');
    await call(h, 'MKCOL', '/c/d/');
    await putText(h, '/c/d/x.txt', 'x');
    const inner = await lock(h, '/c/d/x.txt');
    await expectLocked(await call(h, 'DELETE', '/c/'), ['/c/d/x.txt']);
    await expectLocked(await call(h, 'MOVE', '/c/', { destination: '/m/' }), ['/c/d/x.txt']);
    expect((await call(h, 'DELETE', '/c/', { if: `</c/d/x.txt> (<${inner}>)` })).status).toBe(204);
  });

  it('drops the locks of what DELETE removed and of what MOVE took away; COPY copies none', async () => {
    const { h, engine } = setup();
    await call(h, 'MKCOL', '/c/');
    await putText(h, '/c/a.txt', 'a');
    const t = await lock(h, '/c/a.txt');
    expect((await call(h, 'COPY', '/c/a.txt', { destination: '/copy.txt' })).status).toBe(201);
    expect(await engine.locks.locksCovering('/copy.txt')).toEqual([]);
    expect((await call(h, 'MOVE', '/c/a.txt', { destination: '/moved.txt', if: `(<${t}>)` })).status).toBe(201);
    expect(await engine.locks.count()).toBe(0);
    expect(await putText(h, '/moved.txt', 'free')).toBe(204);
    await lock(h, '/c/');
    await putText(h, '/c/b.txt', 'b', { if: `</c/> (<${(await engine.locks.locksCovering('/c'))[0]?.token}>)` });
    const token = (await engine.locks.locksCovering('/c'))[0]?.token as string;
    expect((await call(h, 'DELETE', '/c/', { if: `(<${token}>)` })).status).toBe(204);
    expect(await engine.locks.count()).toBe(0);
    // A new /c/ is not locked by the lock the old one had.
    expect((await call(h, 'MKCOL', '/c/')).status).toBe(201);
    expect(await putText(h, '/c/x.txt', 'x')).toBe(201);
  });

  it('a shared lock is opened by any of the shared tokens', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    await lock(h, '/a.txt', 'shared');
    const t2 = await lock(h, '/a.txt', 'shared');
    expect(await putText(h, '/a.txt', 'b')).toBe(423);
    expect(await putText(h, '/a.txt', 'b', { if: `(<${t2}>)` })).toBe(204);
  });

  it('an unknown token in If makes that condition false: 412 on an unlocked member, 423 beside a true list', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    expect(await putText(h, '/a.txt', 'b', { if: '(<urn:uuid:bogus>)' })).toBe(412);
    expect(await putText(h, '/a.txt', 'b', { if: '(<opaquelocktoken:bogus>)' })).toBe(412);
    await lock(h, '/a.txt');
    expect(await putText(h, '/a.txt', 'b', { if: '(<urn:uuid:bogus>)' })).toBe(412);
    expect((await call(h, 'PUT', '/a.txt', { if: '(<urn:uuid:bogus>) (Not <DAV:no-lock>)' }, 'b')).status).toBe(423);
  });

  it('a token beside a false ETag opens nothing (the whole If is false: 412); with the right ETag it does', async () => {
    const { h, engine } = setup();
    await putText(h, '/a.txt', 'a');
    const token = await lock(h, '/a.txt');
    const etag = `"${(await engine.adapter.stat('/a.txt'))?.etag}"`;
    expect(await putText(h, '/a.txt', 'b', { if: `(<${token}> ["nope"])` })).toBe(412);
    expect(await putText(h, '/a.txt', 'b', { if: `(<${token}> [${etag}])` })).toBe(204);
  });

  it('a token is not the sync token of a collection, nor the other way round', async () => {
    const { h, engine } = setup();
    await call(h, 'MKCOL', '/c/');
    const sync = (await engine.currentToken('/c')) as string;
    expect((await call(h, 'PUT', '/c/a.txt', { if: `</c/> (<${sync}>)` }, 'a')).status).toBe(201);
    const token = await lock(h, '/c/');
    // The sync token (still current? the PUT moved it) is no lock token: 423 with only it.
    const now = (await engine.currentToken('/c')) as string;
    await expectLocked(await call(h, 'PUT', '/c/a.txt', { if: `</c/> (<${now}>)` }, 'b'), ['/c/']);
    expect((await call(h, 'PUT', '/c/a.txt', { if: `</c/> (<${now}> <${token}>)` }, 'b')).status).toBe(204);
  });

  it('costs a write to an unlocked path one locksCovering lookup and no other lock store call', async () => {
    const store = new MemoryLockStore();
    const calls: string[] = [];
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const h = createDavHandler({ engine: new SyncEngine({ adapter: new MemoryAdapter(), locks: counting }) });
    await call(h, 'MKCOL', '/c/');
    await call(h, 'LOCK', '/elsewhere.txt', {}, lockinfo('exclusive'));
    calls.length = 0;
    expect(await putText(h, '/c/a.txt', 'a', { if: '(Not <DAV:no-lock>)' })).toBe(201);
    expect(calls).toEqual(['locksCovering']);
    calls.length = 0;
    expect((await call(h, 'PROPFIND', '/c/', { depth: '1' }, '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')).status).toBe(207);
    expect(calls).toEqual([]);
  });

  it('reads and PROPFIND need no token', async () => {
    const { h } = await lockedTree();
    expect((await call(h, 'GET', '/c/a.txt')).status).toBe(200);
    expect((await call(h, 'PROPFIND', '/c/', { depth: '1' })).status).toBe(207);
  });
});

describe('lock properties and OPTIONS', () => {
  it('PROPFIND shows DAV:lockdiscovery (inherited too) and DAV:supportedlock; allprop includes them', async () => {
    const { h } = setup();
    await call(h, 'MKCOL', '/c/');
    await putText(h, '/c/a.txt', 'a');
    await putText(h, '/b.txt', 'b');
    const token = await lock(h, '/c/');
    const body = '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/><D:supportedlock/></D:prop></D:propfind>';
    const ms = await multistatus((await call(h, 'PROPFIND', '/', { depth: '1' }, body)).text);
    const tokens = (href: string): (string | undefined)[] =>
      (ms.get(href).prop(D('lockdiscovery'))?.children ?? []).map((a) => child(child(a, 'locktoken'), 'href')?.text);
    expect(tokens('/c/')).toEqual([token]);
    expect(tokens('/b.txt')).toEqual([]);
    const entries = ms.get('/b.txt').prop(D('supportedlock'))?.children ?? [];
    expect(entries.map((e) => child(child(e, 'lockscope'), 'exclusive') !== undefined || child(child(e, 'lockscope'), 'shared') !== undefined)).toEqual([true, true]);
    const inner = await multistatus((await call(h, 'PROPFIND', '/c/a.txt', { depth: '0' }, body)).text);
    const [active] = inner.get('/c/a.txt').prop(D('lockdiscovery'))?.children ?? [];
    expect(child(child(active, 'lockroot'), 'href')?.text).toBe('/c/');
    const all = await multistatus((await call(h, 'PROPFIND', '/c/a.txt', { depth: '0' })).text);
    expect(all.get('/c/a.txt').prop(D('lockdiscovery'))).toBeDefined();
    expect(all.get('/c/a.txt').prop(D('supportedlock'))).toBeDefined();
  });

  it('PROPPATCH cannot set them', async () => {
    const { h } = setup();
    await putText(h, '/a.txt', 'a');
    const r = await call(h, 'PROPPATCH', '/a.txt', {}, '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:lockdiscovery/></D:prop></D:set></D:propertyupdate>');
    expect((await multistatus(r.text)).get('/a.txt').statusOf(D('lockdiscovery'))).toBe(403);
  });

  it('OPTIONS says DAV: 1, 2, 3 and allows LOCK and UNLOCK', async () => {
    const { h } = setup();
    const r = await call(h, 'OPTIONS', '/');
    expect(r.headers['dav']).toBe('1, 2, 3');
    expect(r.headers['allow']).toContain('LOCK, UNLOCK');
  });
});
