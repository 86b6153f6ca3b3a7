/**
 * WebDAV-Push and the change stream in wrap mode, in front of the fake
 * host: push-register answered before the host (other POSTs reach it), the
 * push properties merged into the host's PROPFIND, captured writes and
 * `record()` pushed with the token a sync REPORT then gives,
 * Push-Dont-Notify honoured, PROPPATCH a property-update only, and the
 * change stream on a tracked collection.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { request, type ClientRequest } from 'node:http';
import { generateVapidKeys } from '@davsync/express';
import { DAV, PUSH, parseXml } from '@davsync/protocol';
import { dav, multistatus, propfindBody, textOf, XML_HEADERS } from '../support/dav';
import { TestPushService, type TestSubscription } from '../support/push-service';
import { syncBody } from '../support/server';
import { FakeHost, startWrapped, type Wrapped } from './fake-host';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
const CONTENT = '<P:content-update><D:depth>1</D:depth></P:content-update>';
const PROPS = '<P:property-update><D:depth>1</D:depth></P:property-update>';

let service: TestPushService;
let w: Wrapped;

beforeEach(async () => {
  service = await TestPushService.start(vapid.publicKey);
  const host = new FakeHost();
  host.mkcol('/books');
  host.mkcol('/books/a');
  host.put('/books/a/1.vcf', 'card one');
  w = await startWrapped({ push: { vapid, allowHttpLoopback: true, coalesceMs: 0 }, changeStream: { heartbeatMs: 60_000 } }, host);
  await w.wrap.adopt(host.listing());
});

afterEach(async () => {
  await w.close();
  await service.close();
});

function registerBody(sub: TestSubscription, trigger = CONTENT): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:">
  <P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource>
    <P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key>
    <P:auth-secret>${sub.authSecret}</P:auth-secret>
  </P:web-push-subscription></P:subscription>
  <P:trigger>${trigger}</P:trigger>
</P:push-register>`;
}

async function register(name: string, trigger = CONTENT): Promise<string> {
  const r = await dav(`${w.origin}/books/a/`, 'POST', { headers: XML_HEADERS, body: registerBody(service.subscribe(name), trigger) });
  expect(r.status).toBe(201);
  return r.headers.get('location') as string;
}

async function read(body: string): Promise<{ topic: string | undefined; token: string | undefined; property: boolean }> {
  const root = await parseXml(body);
  const content = root.children.find((c) => c.name === PUSH.contentUpdate);
  return {
    topic: textOf(root.children.find((c) => c.name === PUSH.topic)),
    token: textOf(content?.children.find((c) => c.name === DAV.syncToken)),
    property: root.children.some((c) => c.name === PUSH.propertyUpdate),
  };
}

async function currentToken(): Promise<string | undefined> {
  const r = await dav(`${w.origin}/books/a/`, 'REPORT', { headers: XML_HEADERS, body: syncBody(null, '1') });
  return (await multistatus(r.text)).syncToken;
}

describe('wrap mode with push', () => {
  it('push-register is answered before the host; another POST reaches the host', async () => {
    const location = await register('phone');
    expect(location).toMatch(new RegExp(`^${w.origin}/\\.webdav-push/[A-Za-z0-9_-]{22}$`));
    expect(w.host.seen.filter((s) => s.method === 'POST')).toEqual([]);
    const other = await dav(`${w.origin}/books/a/`, 'POST', { headers: XML_HEADERS, body: '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>' });
    expect(other.status).toBe(405); // the fake host's answer
    expect(w.host.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    // A push-register to a collection davsync does not track is the host's too.
    expect((await dav(`${w.origin}/books/`, 'POST', { headers: XML_HEADERS, body: registerBody(service.subscribe('x')) })).status).toBe(405);
    const info = await dav(location, 'GET');
    expect(JSON.parse(info.text)).toMatchObject({ collection: '/books/a', pushService: service.origin });
    expect((await dav(location, 'DELETE')).status).toBe(204);
    expect(w.host.seen.some((s) => s.path.includes('webdav-push'))).toBe(false);
  });

  it("OPTIONS is the host's answer with webdav-push in its DAV header, and POST allowed on a tracked collection", async () => {
    const tracked = await dav(`${w.origin}/books/a/`, 'OPTIONS');
    expect(tracked.status).toBe(200);
    expect(tracked.headers.get('dav')).toBe('1, 2, access-control, addressbook, webdav-push');
    expect(tracked.headers.get('allow')?.split(', ')).toContain('POST');
    expect(tracked.headers.get('allow')?.split(', ')).toContain('PROPPATCH'); // the host's list, extended
    expect(w.host.seen.filter((s) => s.method === 'OPTIONS').map((s) => s.path)).toEqual(['/books/a']);
    // Not tracked: the server still does push, but POST is the host's business there.
    const root = await dav(`${w.origin}/`, 'OPTIONS');
    expect(root.headers.get('dav')).toBe('1, 2, access-control, addressbook, webdav-push');
    expect(root.headers.get('allow')?.split(', ')).not.toContain('POST');
    // The host's refusal passes untouched.
    const missing = await dav(`${w.origin}/books/none/`, 'OPTIONS');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('dav')).toBeNull();
  });

  it("the push properties are merged into the host's PROPFIND answer for tracked collections", async () => {
    const body = propfindBody('<P:transports/><P:topic/><P:supported-triggers/><D:sync-token/><D:displayname/>', ' xmlns:P="https://bitfire.at/webdav-push"');
    const r = await dav(`${w.origin}/books/a/`, 'PROPFIND', { headers: { ...XML_HEADERS, depth: '0' }, body });
    expect(r.status).toBe(207);
    const response = (await multistatus(r.text)).get('/books/a/');
    expect(textOf(response.prop(PUSH.topic))).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(response.statusOf(PUSH.topic)).toBe(200);
    const key = response.prop(PUSH.transports)?.children[0]?.children[0];
    expect([key?.name, key?.attrs['type'], textOf(key)]).toEqual([PUSH.vapidPublicKey, 'p256ecdsa', vapid.publicKey]);
    expect(response.prop(PUSH.supportedTriggers)?.children.map((c) => c.name)).toEqual([PUSH.contentUpdate, PUSH.propertyUpdate]);
    expect(response.statusOf(DAV.syncToken)).toBe(200);
  });

  it("a captured PUT, a record() and a DELETE are pushed with the REPORT's token; Push-Dont-Notify spares its registration", async () => {
    const mine = await register('mine');
    await register('other');
    const r = await dav(`${w.origin}/books/a/2.vcf`, 'PUT', { body: 'card two' });
    expect(r.status).toBe(201);
    await service.waitFor(() => service.to('mine').length === 1 && service.to('other').length === 1);
    expect((await read(service.to('mine')[0]!.body)).token).toBe(await currentToken());
    // A write naming `mine` in Push-Dont-Notify: only `other` hears of it.
    await dav(`${w.origin}/books/a/3.vcf`, 'PUT', { body: 'three', headers: { 'push-dont-notify': `"${mine}"` } });
    await service.waitFor(() => service.to('other').length === 2);
    w.host.put('/books/a/4.vcf', 'four');
    expect(await w.wrap.record({ path: '/books/a/4.vcf', etag: FakeHost.etag('four') })).toBe(1);
    await service.waitFor(() => service.to('mine').length === 2 && service.to('other').length === 3);
    expect((await read(service.to('mine')[1]!.body)).token).toBe(await currentToken());
    expect((await dav(`${w.origin}/books/a/1.vcf`, 'DELETE')).status).toBe(204);
    await service.waitFor(() => service.to('mine').length === 3 && service.to('other').length === 4);
    expect(service.rejections).toEqual([]);
  });

  it('a captured PROPPATCH wakes property-update only', async () => {
    await register('content', CONTENT);
    await register('props', PROPS);
    const patch = await dav(`${w.origin}/books/a/1.vcf`, 'PROPPATCH', {
      headers: XML_HEADERS,
      body: '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).toBe(207);
    await service.waitFor(() => service.to('props').length === 1);
    expect(await read(service.to('props')[0]!.body)).toMatchObject({ property: true, token: undefined });
    await dav(`${w.origin}/books/a/2.vcf`, 'PUT', { body: 'two' }); // the marker
    await service.waitFor(() => service.to('content').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([service.to('content').length, service.to('props').length]).toEqual([1, 1]);
  });

  it('the change stream on a tracked collection: the current token, then one event per captured write', async () => {
    const events: string[] = [];
    let req: ClientRequest | undefined;
    const status = await new Promise<number>((resolve, reject) => {
      req = request(`${w.origin}/books/a/`, { headers: { accept: 'text/event-stream' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => events.push(...chunk.split('\n\n').filter((e) => e.startsWith('event: change'))));
        res.on('error', () => undefined);
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    try {
      expect(status).toBe(200);
      await service.waitFor(() => events.length === 1);
      await dav(`${w.origin}/books/a/2.vcf`, 'PUT', { body: 'two' });
      await service.waitFor(() => events.length === 2);
      expect(events[1]).toContain(`"token":"${await currentToken()}"`);
      expect(w.host.seen.filter((s) => s.method === 'GET')).toEqual([]);
    } finally {
      req?.destroy();
    }
  });
});
