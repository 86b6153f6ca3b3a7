/**
 * Who a lock belongs to and whose clock it runs on: the principal check
 * (RFC 4918 §6.4: a token is its creator's; another user's use is 403) and
 * DAV:lockdiscovery's remaining seconds from the lock store's clock.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { MemoryLockStore, SyncEngine } from '@davsync/core';
import { createDavHandler, type DavHandler } from '@davsync/express';
import { D, multistatus, propfindBody } from '../support/dav';
import { call, lockinfo, lockTokenOf } from '../support/handler-call';

function setup(now: () => number = Date.now): DavHandler {
  return createDavHandler({ engine: new SyncEngine({ adapter: new MemoryAdapter(), locks: new MemoryLockStore({ now }) }) });
}

/** LOCKs `url` as `user`; returns the token. */
async function lockAs(h: DavHandler, url: string, user: string | undefined, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(h, 'LOCK', url, headers, lockinfo('exclusive'), user);
  expect([200, 201]).toContain(r.status);
  return lockTokenOf(r) as string;
}

describe('a lock belongs to the user who took it', () => {
  it('lets its owner write, refresh and unlock with the token', async () => {
    const h = setup();
    const token = await lockAs(h, '/a.txt', 'ann');
    expect((await call(h, 'PUT', '/a.txt', { if: `(<${token}>)` }, 'ann', 'ann')).status).toBe(204);
    expect((await call(h, 'PROPPATCH', '/a.txt', { if: `(<${token}>)` }, proppatch, 'ann')).status).toBe(207);
    expect((await call(h, 'LOCK', '/a.txt', { if: `(<${token}>)`, timeout: 'Second-60' }, undefined, 'ann')).status).toBe(200);
    expect((await call(h, 'UNLOCK', '/a.txt', { 'lock-token': `<${token}>` }, undefined, 'ann')).status).toBe(204);
  });

  it("answers 403 to another user's (or an anonymous) write, refresh and UNLOCK with the token, and the lock stays", async () => {
    const h = setup();
    const token = await lockAs(h, '/a.txt', 'ann');
    for (const user of ['bob', undefined]) {
      expect((await call(h, 'PUT', '/a.txt', { if: `(<${token}>)` }, 'bob', user)).status).toBe(403);
      expect((await call(h, 'PROPPATCH', '/a.txt', { if: `(<${token}>)` }, proppatch, user)).status).toBe(403);
      expect((await call(h, 'DELETE', '/a.txt', { if: `(<${token}>)` }, undefined, user)).status).toBe(403);
      expect((await call(h, 'LOCK', '/a.txt', { if: `(<${token}>)`, timeout: 'Second-60' }, undefined, user)).status).toBe(403);
      expect((await call(h, 'UNLOCK', '/a.txt', { 'lock-token': `<${token}>` }, undefined, user)).status).toBe(403);
    }
    // Still locked, still empty: nothing the others sent landed.
    expect((await call(h, 'PUT', '/a.txt', {}, 'bob', 'bob')).status).toBe(423);
    expect((await call(h, 'GET', '/a.txt')).text).toBe('');
  });

  it('without the token another user still gets 423, not 403 (the lock is what is in the way)', async () => {
    const h = setup();
    await lockAs(h, '/a.txt', 'ann');
    expect((await call(h, 'PUT', '/a.txt', {}, 'bob', 'bob')).status).toBe(423);
  });

  it('a depth-infinity lock on a collection is its owner’s for the members below too', async () => {
    const h = setup();
    expect((await call(h, 'MKCOL', '/c/', {}, undefined, 'ann')).status).toBe(201);
    const token = await lockAs(h, '/c/', 'ann');
    expect((await call(h, 'PUT', '/c/x', { if: `</c/> (<${token}>)` }, 'bob', 'bob')).status).toBe(403);
    expect((await call(h, 'PUT', '/c/x', { if: `</c/> (<${token}>)` }, 'ann', 'ann')).status).toBe(201);
  });

  it('a lock taken anonymously opens for whoever submits its token', async () => {
    const h = setup();
    const token = await lockAs(h, '/a.txt', undefined);
    expect((await call(h, 'PUT', '/a.txt', { if: `(<${token}>)` }, 'bob', 'bob')).status).toBe(204);
    expect((await call(h, 'UNLOCK', '/a.txt', { 'lock-token': `<${token}>` }, undefined, 'carol')).status).toBe(204);
  });
});

const proppatch =
  '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:"><D:set><D:prop><Z:note>hi</Z:note></D:prop></D:set></D:propertyupdate>';

describe("DAV:lockdiscovery's timeout", () => {
  it("counts down on the lock store's clock, not the host's", async () => {
    let clock = 1_000_000_000_000; // 2001: far from Date.now(), so the host's clock would say the lock is long gone
    const h = setup(() => clock);
    const lockReply = await call(h, 'LOCK', '/a.txt', { timeout: 'Second-600' }, lockinfo('exclusive'));
    expect(lockReply.text).toContain('<D:timeout>Second-600</D:timeout>');
    clock += 100_000;
    const r = await call(h, 'PROPFIND', '/a.txt', { depth: '0' }, propfindBody('<D:lockdiscovery/>'));
    const ms = await multistatus(r.text);
    const discovery = ms.get('/a.txt').prop(D('lockdiscovery'));
    const timeout = discovery?.children[0]?.children.find((c) => c.name === D('timeout'));
    expect(timeout?.text).toBe('Second-500');
  });
});
