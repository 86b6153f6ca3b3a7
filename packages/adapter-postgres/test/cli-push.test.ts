/**
 * `davsync serve --postgres URL --push` twice on one database: a push
 * registration made through one server is pushed on a PUT through the
 * other, and a change stream opened on one hears a PUT through the other.
 * The VAPID keys come from the environment, as instances must share them.
 */
import { expect, it } from '@jest/globals';
import { request } from 'node:http';
import { generateVapidKeys } from '@davsync/express';
import { startServe } from '../../cli/test/support';
import { TestPushService } from '../../express/test/support/push-service';
import { database } from './support/postgres';

it('two --push servers on one database push and stream each other\'s changes', async () => {
  const { server } = await database();
  const url = await server.createDatabase('davsync_cli_push');
  const keys = generateVapidKeys();
  const env = { DAVSYNC_VAPID_PUBLIC_KEY: keys.publicKey, DAVSYNC_VAPID_PRIVATE_KEY: keys.privateKey };
  const service = await TestPushService.start(keys.publicKey);
  const a = await startServe(['--postgres', url, '--push', '--push-allow-http-loopback', '--log-level', 'warn'], { env });
  const b = await startServe(['--postgres', url, '--push', '--push-allow-http-loopback', '--log-level', 'warn'], { env });
  const events: string[] = [];
  let stream: import('node:http').ClientRequest | undefined;
  try {
    const sub = service.subscribe('phone');
    const body = `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
      <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
      <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
      </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;
    expect((await fetch(a.url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body })).status).toBe(201);
    await new Promise<void>((resolve, reject) => {
      stream = request(a.url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => events.push(...chunk.split('\n').filter((l) => l.startsWith('data: '))));
        res.on('error', () => undefined);
        resolve();
      });
      stream.on('error', reject);
      stream.end();
    });
    expect((await fetch(`${b.url}note.txt`, { method: 'PUT', body: 'x' })).status).toBe(201);
    await service.waitFor(() => service.to('phone').length === 1, 10_000);
    const deadline = Date.now() + 10_000;
    while (events.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toHaveLength(2); // the current token, then b's change
    expect(service.rejections).toEqual([]);
  } finally {
    stream?.destroy();
    a.proc.child.kill('SIGTERM');
    b.proc.child.kill('SIGTERM');
    expect((await a.proc.waitExit()).code).toBe(0);
    expect((await b.proc.waitExit()).code).toBe(0);
    await service.close();
    await server.dropDatabase(url);
  }
}, 60_000);
