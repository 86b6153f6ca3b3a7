/**
 * WebDAV-Push end to end on the memory store: a client registers a
 * subscription of the local test push service (which verifies VAPID and
 * decrypts per RFC 8291), a PUT is pushed within the coalescing interval
 * with the collection's topic and the token a sync REPORT then returns;
 * Push-Dont-Notify, DELETE, 410, expiry, access; and hostile registrations
 * get a 4xx with the draft's precondition.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync, generateVapidKeys, type DavsyncMiddleware, type DavsyncOptions } from '@davsync/express';
import { DAV, PUSH, parseXml } from '@davsync/protocol';
import { dav, errorConditions, mkcol, propfind, propfindBody, put, sync, XML_HEADERS, textOf } from '../support/dav';
import { TestPushService, type TestSubscription } from '../support/push-service';
import { closeServer, listen } from '../support/server';

const SYNC_BODY = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';
const COALESCE_MS = 300;

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };

let service: TestPushService;
let server: Server;
let origin: string;
let middleware: DavsyncMiddleware;

async function start(options: Partial<DavsyncOptions> = {}, push: Record<string, unknown> = {}): Promise<void> {
  middleware = davsync({ adapter: new MemoryAdapter(), push: { vapid, allowHttpLoopback: true, coalesceMs: COALESCE_MS, ...push }, ...options } as DavsyncOptions);
  ({ server, origin } = await listen((req, res) => middleware(req, res)));
}

beforeEach(async () => {
  service = await TestPushService.start(vapid.publicKey);
});

afterEach(async () => {
  await middleware.push?.close();
  await closeServer(server);
  await middleware.engine.close();
  await service.close();
});

function registerBody(sub: Pick<TestSubscription, 'pushResource' | 'publicKey' | 'authSecret'>, trigger = '<P:content-update><D:depth>1</D:depth></P:content-update>', extra = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:">
  <P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource>
    <P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key>
    <P:auth-secret>${sub.authSecret}</P:auth-secret>
  </P:web-push-subscription></P:subscription>
  <P:trigger>${trigger}</P:trigger>${extra}
</P:push-register>`;
}

const postRegister = (path: string, body: string, headers: Record<string, string> = {}) => dav(`${origin}${path}`, 'POST', { headers: { ...XML_HEADERS, ...headers }, body });

/** Registers `sub` on `path` and returns the registration URL. */
async function register(path: string, sub: TestSubscription, headers: Record<string, string> = {}): Promise<string> {
  const r = await postRegister(path, registerBody(sub), headers);
  expect(r.status).toBe(201);
  return r.headers.get('location') as string;
}

/** The decrypted message's topic and token. */
async function read(body: string): Promise<{ topic: string | undefined; token: string | undefined; property: boolean }> {
  const root = await parseXml(body);
  expect(root.name).toBe(PUSH.pushMessage);
  const content = root.children.find((c) => c.name === PUSH.contentUpdate);
  return {
    topic: textOf(root.children.find((c) => c.name === PUSH.topic)),
    token: textOf(content?.children.find((c) => c.name === DAV.syncToken)),
    property: root.children.some((c) => c.name === PUSH.propertyUpdate),
  };
}

describe('discovery', () => {
  it('OPTIONS says webdav-push and allows POST; collections have the three properties, files none', async () => {
    await start();
    await mkcol(`${origin}/cal`);
    await put(`${origin}/cal/a.ics`, 'x');
    const options = await dav(`${origin}/cal/`, 'OPTIONS');
    expect(options.headers.get('dav')).toBe('1, 2, 3, webdav-push');
    expect(options.headers.get('allow')).toContain('POST');
    const props = propfindBody('<P:transports/><P:topic/><P:supported-triggers/>', ' xmlns:P="https://bitfire.at/webdav-push"');
    const ms = await propfind(`${origin}/cal/`, '1', props);
    const cal = ms.get('/cal/');
    const key = cal.prop(PUSH.transports)?.children[0]?.children[0];
    expect(key?.name).toBe(PUSH.vapidPublicKey);
    expect(key?.attrs['type']).toBe('p256ecdsa');
    expect(textOf(key)).toBe(vapid.publicKey);
    expect(textOf(cal.prop(PUSH.topic))).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cal.prop(PUSH.supportedTriggers)?.children.map((c) => c.name)).toEqual([PUSH.contentUpdate, PUSH.propertyUpdate]);
    expect(ms.get('/cal/a.ics').statusOf(PUSH.topic)).toBe(404);
  });

  it('without the push option: no webdav-push, POST is 405', async () => {
    middleware = davsync({ adapter: new MemoryAdapter() });
    ({ server, origin } = await listen((req, res) => middleware(req, res)));
    expect((await dav(`${origin}/`, 'OPTIONS')).headers.get('dav')).toBe('1, 2, 3');
    expect((await postRegister('/', registerBody(service.subscribe('a')))).status).toBe(405);
  });
});

describe('delivery', () => {
  it('a PUT reaches the subscription within the interval, with the topic and the token a sync REPORT then returns', async () => {
    await start();
    await mkcol(`${origin}/cal`);
    const sub = service.subscribe('phone');
    const r = await postRegister('/cal/', registerBody(sub));
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toMatch(new RegExp(`^${origin}/\\.webdav-push/[A-Za-z0-9_-]{22}$`));
    const expires = Date.parse(r.headers.get('expires') as string);
    expect(expires - Date.now()).toBeGreaterThan(6.9 * 86_400_000); // the 7-day default
    const started = Date.now();
    await put(`${origin}/cal/a.ics`, 'BEGIN:VCALENDAR');
    await service.waitFor(() => service.to('phone').length === 1);
    expect(Date.now() - started).toBeLessThan(COALESCE_MS + 1000);
    const message = await read(service.to('phone')[0]!.body);
    const topic = textOf((await propfind(`${origin}/cal/`, '0', propfindBody('<P:topic/>', ' xmlns:P="https://bitfire.at/webdav-push"'))).get('/cal/').prop(PUSH.topic));
    expect(message.topic).toBe(topic);
    expect(message.token).toBe((await sync(`${origin}/cal/`, SYNC_BODY)).syncToken);
    expect(service.rejections).toEqual([]);
    // A change elsewhere does not reach it; a burst here becomes at most one
    // more message per interval (on an idle machine the five PUTs fit in
    // one interval: one message; a loaded one may spread them over more).
    await put(`${origin}/other.txt`, 'x');
    const burstStarted = Date.now();
    for (let i = 0; i < 5; i++) await put(`${origin}/cal/b${i}.ics`, 'x');
    const burstMs = Date.now() - burstStarted;
    const latest = (await sync(`${origin}/cal/`, SYNC_BODY)).syncToken;
    await service.waitFor(() => service.to('phone').length >= 2);
    // Bounded wait for the message that carries the burst's last token.
    for (let i = 0; i < 20 && (await read(service.to('phone').at(-1)!.body)).token !== latest; i++) {
      await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
    }
    await new Promise((resolve) => setTimeout(resolve, COALESCE_MS * 2)); // nothing more comes
    const burstMessages = service.to('phone').length - 1;
    expect(burstMessages).toBeGreaterThanOrEqual(1);
    expect(burstMessages).toBeLessThanOrEqual(Math.ceil(burstMs / COALESCE_MS) + 1);
    expect((await read(service.to('phone').at(-1)!.body)).token).toBe(latest);
  });

  it('triggers: a PUT wakes content-update only, a PROPPATCH property-update only (member at depth 1, the collection at depth 0)', async () => {
    await start({}, { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const content = '<P:content-update><D:depth>1</D:depth></P:content-update>';
    const props = '<P:property-update><D:depth>1</D:depth></P:property-update>';
    for (const [name, trigger] of [['content', content], ['props', props], ['both', content + props]] as const) {
      expect((await postRegister('/cal/', registerBody(service.subscribe(name), trigger))).status).toBe(201);
    }
    const count = (): number[] => ['content', 'props', 'both'].map((n) => service.to(n).length);
    await put(`${origin}/cal/a.ics`, 'x');
    await service.waitFor(() => service.to('content').length === 1 && service.to('both').length === 1);
    const proppatch = (path: string) =>
      dav(`${origin}${path}`, 'PROPPATCH', {
        headers: XML_HEADERS,
        body: '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop><X:color>red</X:color></D:prop></D:set></D:propertyupdate>',
      });
    expect((await proppatch('/cal/a.ics')).status).toBe(207);
    await service.waitFor(() => service.to('props').length === 1 && service.to('both').length === 2);
    const told = await read(service.to('props')[0]!.body);
    expect([told.property, told.token]).toEqual([true, undefined]); // property-update only, no content-update element
    expect(await read(service.to('both')[1]!.body)).toMatchObject({ property: true, token: undefined });
    // The collection's own properties: depth 0 of a property-update.
    expect((await proppatch('/cal/')).status).toBe(207);
    await service.waitFor(() => service.to('props').length === 2 && service.to('both').length === 3);
    await put(`${origin}/cal/b.ics`, 'x'); // the marker: once it arrives, a wrong message would have too
    await service.waitFor(() => service.to('content').length === 2 && service.to('both').length === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(count()).toEqual([2, 2, 4]);
    expect((await read(service.to('both')[3]!.body)).property).toBe(false);
    expect(service.rejections).toEqual([]);
  });

  it('Push-Dont-Notify with the registration URL spares it, not the others; * spares all', async () => {
    await start({}, { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const mine = await register('/cal/', service.subscribe('mine'));
    await register('/cal/', service.subscribe('other'));
    await dav(`${origin}/cal/a.ics`, 'PUT', { headers: { 'push-dont-notify': `"${mine}"` }, body: 'x' });
    await service.waitFor(() => service.to('other').length === 1);
    await dav(`${origin}/cal/b.ics`, 'PUT', { headers: { 'push-dont-notify': '*' }, body: 'x' });
    await put(`${origin}/cal/c.ics`, 'x'); // the marker: once it arrives, b's would have too
    await service.waitFor(() => service.to('other').length === 2 && service.to('mine').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([service.to('mine').length, service.to('other').length]).toEqual([1, 2]);
  });

  it('re-registering the same push resource is 204 with the same URL; DELETE of it stops messages', async () => {
    await start({}, { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const sub = service.subscribe('phone');
    const url = await register('/cal/', sub);
    const again = await postRegister('/cal/', registerBody(sub, undefined, `<P:expires>${new Date(Date.now() + 3_600_000).toUTCString()}</P:expires>`));
    expect(again.status).toBe(204);
    expect(again.headers.get('location')).toBe(url);
    expect(Math.abs(Date.parse(again.headers.get('expires') as string) - (Date.now() + 3_600_000))).toBeLessThan(2000);
    const info = await dav(url, 'GET');
    expect(JSON.parse(info.text)).toMatchObject({ collection: '/cal', pushService: service.origin, lastDelivery: null });
    expect((await dav(url, 'DELETE')).status).toBe(204);
    expect((await dav(url, 'DELETE')).status).toBe(404);
    await put(`${origin}/cal/a.ics`, 'x');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(service.messages).toEqual([]);
  });

  it('a 410 from the push service removes the registration; the last delivery is shown until then', async () => {
    await start({}, { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const sub = service.subscribe('phone');
    const url = await register('/cal/', sub);
    await put(`${origin}/cal/a.ics`, 'x');
    await service.waitFor(() => service.to('phone').length === 1);
    await waitUntil(async () => JSON.parse((await dav(url, 'GET')).text).lastDelivery?.ok === true);
    expect(await middleware.push!.list('/cal')).toHaveLength(1);
    const listed = await dav(`${origin}/.webdav-push/?collection=/cal`, 'GET');
    expect(JSON.parse(listed.text)).toEqual([expect.objectContaining({ collection: '/cal', failures: 0, lastDelivery: expect.objectContaining({ ok: true, status: 201 }) })]);
    expect((await dav(`${origin}/.webdav-push/`, 'GET')).status).toBe(400);
    sub.status = 410;
    await put(`${origin}/cal/b.ics`, 'x');
    await waitUntil(async () => (await dav(url, 'GET')).status === 404);
    expect(await middleware.push!.list('/cal')).toEqual([]);
  });

  it('a registration expires: no message after its Expires', async () => {
    await start({}, { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const sub = service.subscribe('phone');
    const soon = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const r = await postRegister('/cal/', registerBody(sub, undefined, `<P:expires>${soon.toUTCString()}</P:expires>`));
    expect(r.headers.get('expires')).toBe(soon.toUTCString());
    await put(`${origin}/cal/a.ics`, 'x');
    await service.waitFor(() => service.to('phone').length === 1);
    await new Promise((resolve) => setTimeout(resolve, soon.getTime() - Date.now() + 50));
    await put(`${origin}/cal/b.ics`, 'x');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(service.to('phone')).toHaveLength(1);
    expect((await dav(r.headers.get('location') as string, 'GET')).status).toBe(404);
  });
});

describe('access', () => {
  const acl = (allowed: Record<string, string[]>): Partial<DavsyncOptions> => ({
    user: (req) => req.headers['x-user'] as string | undefined,
    authorize: ({ user, path, action }) => action !== 'sync' || (allowed[user ?? ''] ?? []).some((p) => path === p || path.startsWith(`${p}/`)),
  });

  it('registering needs sync access (403 push-not-available); only the owner may DELETE; a revoked user is told nothing more', async () => {
    const allowed: Record<string, string[]> = { alice: ['/cal'], bob: [] };
    await start(acl(allowed), { coalesceMs: 0 });
    await mkcol(`${origin}/cal`);
    const refused = await postRegister('/cal/', registerBody(service.subscribe('bob')), { 'x-user': 'bob' });
    expect(refused.status).toBe(403);
    expect(await errorConditions(refused.text)).toEqual([PUSH.pushNotAvailable]);
    const url = await register('/cal/', service.subscribe('alice'), { 'x-user': 'alice' });
    expect((await dav(url, 'DELETE', { headers: { 'x-user': 'bob' } })).status).toBe(403);
    // The listing shows each user only their own registrations.
    const list = async (user: string) => JSON.parse((await dav(`${origin}/.webdav-push/?collection=/cal`, 'GET', { headers: { 'x-user': user } })).text) as unknown[];
    expect([(await list('alice')).length, (await list('bob')).length]).toEqual([1, 0]);
    // Bob cannot spare Alice's registration with her URL either.
    await dav(`${origin}/cal/a.ics`, 'PUT', { headers: { 'x-user': 'bob', 'push-dont-notify': `"${url}"` }, body: 'x' });
    await service.waitFor(() => service.to('alice').length === 1);
    allowed['alice'] = [];
    await put(`${origin}/cal/b.ics`, 'x');
    await waitUntil(async () => (await dav(url, 'GET', { headers: { 'x-user': 'alice' } })).status === 404);
    expect(service.to('alice')).toHaveLength(1);
  });
});

describe('hostile registrations get a 4xx', () => {
  beforeEach(async () => {
    await start({}, { allowHttpLoopback: false });
    await mkcol(`${origin}/cal`);
  });

  const keys = (): TestSubscription => service.subscribe('x');

  it.each([
    ['plain http', 'http://push.example.com/x'],
    ['http on loopback without the test option', 'http://127.0.0.1:9/x'],
    ['a private address', 'https://10.0.0.5/x'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['localhost', 'https://localhost/x'],
    ['credentials in the URL', 'https://user:pw@push.example.com/x'],
    ['not a URL', 'push.example.com/x'],
    ['a file URL', 'file:///etc/passwd'],
  ])('%s → 403 invalid-subscription', async (_what, resource) => {
    const r = await postRegister('/cal/', registerBody({ ...keys(), pushResource: resource }));
    expect(r.status).toBe(403);
    expect(await errorConditions(r.text)).toEqual([PUSH.invalidSubscription]);
    expect(await middleware.push!.store.count()).toBe(0);
  });

  it('the server itself → 403 invalid-subscription', async () => {
    const host = new URL(origin).host;
    const r = await postRegister('/cal/', registerBody({ ...keys(), pushResource: `https://${host}/x` }), { host });
    expect(r.status).toBe(403);
  });

  it('a public https push resource is accepted', async () => {
    const r = await postRegister('/cal/', registerBody({ ...keys(), pushResource: 'https://push.example.com/abc' }));
    expect(r.status).toBe(201);
  });

  it.each([
    ['malformed XML', '<P:push-register xmlns:P="https://bitfire.at/webdav-push"><oops>', 400],
    ['another document', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>', 400],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "e">]><x/>', 400],
    ['an empty body', '', 400],
  ])('%s → %s', async (_what, body, status) => {
    expect((await postRegister('/cal/', body)).status).toBe(status);
  });

  it('a huge body → 413 without reading it all', async () => {
    const body = registerBody(keys()).replace('</P:push-register>', `<P:x>${'a'.repeat(64 * 1024)}</P:x></P:push-register>`);
    expect((await postRegister('/cal/', body)).status).toBe(413);
  });

  it('no usable trigger → 403 no-supported-trigger; a non-collection → 403 push-not-available; a missing one → 404', async () => {
    const none = await postRegister('/cal/', registerBody({ ...keys(), pushResource: 'https://push.example.com/a' }, '<P:content-update><D:depth>7</D:depth></P:content-update>'));
    expect(await errorConditions(none.text)).toEqual([PUSH.noSupportedTrigger]);
    await put(`${origin}/cal/a.ics`, 'x');
    const file = await postRegister('/cal/a.ics', registerBody({ ...keys(), pushResource: 'https://push.example.com/a' }));
    expect([file.status, await errorConditions(file.text)]).toEqual([403, [PUSH.pushNotAvailable]]);
    expect((await postRegister('/nothing/', registerBody({ ...keys(), pushResource: 'https://push.example.com/a' }))).status).toBe(404);
    expect((await postRegister('/cal/', registerBody(keys()), { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('past maxRegistrationsPerUser → 403 push-not-available; re-registering still works', async () => {
    await middleware.push?.close();
    await closeServer(server);
    await middleware.engine.close();
    await start({}, { allowHttpLoopback: false, maxRegistrationsPerUser: 2 });
    await mkcol(`${origin}/cal`);
    const body = (n: number) => registerBody({ ...keys(), pushResource: `https://push.example.com/${n}` });
    expect((await postRegister('/cal/', body(1))).status).toBe(201);
    expect((await postRegister('/cal/', body(2))).status).toBe(201);
    const third = await postRegister('/cal/', body(3));
    expect([third.status, await errorConditions(third.text)]).toEqual([403, [PUSH.pushNotAvailable]]);
    expect((await postRegister('/cal/', body(2))).status).toBe(204);
  });

  it('unknown registration URLs → 404, other methods there → 405', async () => {
    expect((await dav(`${origin}/.webdav-push/AAAAAAAAAAAAAAAAAAAAAA`, 'DELETE')).status).toBe(404);
    expect((await dav(`${origin}/.webdav-push/..%2f`, 'DELETE')).status).toBe(404);
    expect((await dav(`${origin}/.webdav-push/AAAAAAAAAAAAAAAAAAAAAA`, 'PUT', { body: 'x' })).status).toBe(405);
  });
});

/** Polls `check` every 20 ms for at most 5 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
