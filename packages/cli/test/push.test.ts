/**
 * `davsync serve --push`: the VAPID key is made once and kept in the
 * folder's state directory (owner-only), the same after a restart; a PUT
 * reaches a registered subscription of the local test push service, and
 * still does after a restart (registrations are in the state database); the
 * change stream is on; the push flags need --push.
 */
import { afterEach, expect, it } from '@jest/globals';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PUSH, parseXml } from '@davsync/protocol';
import { TestPushService } from '../../express/test/support/push-service';
import { cleanup, runToEnd, startServe, tempDir } from './support';

let service: TestPushService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
  await cleanup();
});

const PROPS = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:P="https://bitfire.at/webdav-push"><D:prop><P:transports/><P:topic/></D:prop></D:propfind>';

async function vapidKeyOf(url: string): Promise<string> {
  const r = await fetch(url, { method: 'PROPFIND', headers: { depth: '0', 'content-type': 'application/xml' }, body: PROPS });
  expect(r.status).toBe(207);
  const text = await r.text();
  const m = /vapid-public-key[^>]*>([A-Za-z0-9_-]+)</.exec(text);
  if (m === null) throw new Error(`no vapid-public-key in ${text}`);
  return m[1] as string;
}

it('keeps the VAPID key in the state directory across restarts and pushes a PUT', async () => {
  const dir = join(await tempDir(), 'data');
  const first = await startServe([dir, '--push', '--push-allow-http-loopback']);
  expect((await fetch(first.url, { method: 'OPTIONS' })).headers.get('dav')).toContain('webdav-push');
  const key = await vapidKeyOf(first.url);
  expect((await stat(join(dir, '.davsync', 'push-vapid.json'))).mode & 0o777).toBe(0o600);

  service = await TestPushService.start(key);
  const sub = service.subscribe('phone');
  const body = `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
    </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;
  const registered = await fetch(first.url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body });
  expect(registered.status).toBe(201);
  expect((await fetch(`${first.url}a.txt`, { method: 'PUT', body: 'a' })).status).toBe(201);
  await service.waitFor(() => service!.to('phone').length === 1);
  expect((await parseXml(service.to('phone')[0]!.body)).name).toBe(PUSH.pushMessage);
  expect(service.rejections).toEqual([]);

  first.proc.child.kill('SIGTERM');
  expect(await first.proc.waitExit()).toEqual({ code: 0, signal: null });
  // The registration was kept in the state database: the restarted server pushes to it.
  const second = await startServe([dir, '--push', '--push-allow-http-loopback']);
  expect(await vapidKeyOf(second.url)).toBe(key);
  expect((await fetch(`${second.url}b.txt`, { method: 'PUT', body: 'b' })).status).toBe(201);
  await service.waitFor(() => service!.to('phone').length === 2);
});

it('a change stream can be opened and the server still stops promptly', async () => {
  const { proc, url } = await startServe(['--memory', '--push']);
  expect(proc.stderr()).toMatch(/generated for this run/);
  const controller = new AbortController();
  const stream = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const started = Date.now();
  proc.child.kill('SIGTERM');
  expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(5000);
  controller.abort();
});

it('the push flags need --push', async () => {
  const r = await runToEnd(['serve', '--memory', '--push-allow-http-loopback']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/need --push/);
});
