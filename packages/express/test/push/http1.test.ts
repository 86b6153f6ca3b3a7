/**
 * Web Push over HTTP/1.1 (`http1-pools.ts`, undici): messages to one push
 * service share a few kept-alive connections, across changes; the push
 * resource policy's connect-time address check holds for these
 * connections too; a service that does not answer in time fails the
 * message with the transport's timeout; beyond `maxOrigins` the least
 * recently used pool is closed and a later message connects anew.
 * `http2: false` keeps the h2 path out, so the TLS service is reached over
 * HTTP/1.1 only.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { generateVapidKeys } from '@davsync/express';
import { ConnectTimeOnly, registrationOf } from '../support/push-transport';
import { TestPushService } from '../support/push-service';
import { Http1Pools } from '../../src/push/http1-pools';
import { PushResourcePolicy } from '../../src/push/push-resource-policy';
import { WebPushTransport } from '../../src/push/web-push-transport';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
const LOOPBACK = new PushResourcePolicy({ allowHttpLoopback: true, allowPrivateAddresses: true });

const services: TestPushService[] = [];
let transport: WebPushTransport | undefined;
let pools: Http1Pools | undefined;
let silent: { server: Server; sockets: Set<Socket> } | undefined;

afterEach(async () => {
  transport?.close();
  pools?.close();
  for (const s of services.splice(0)) await s.close();
  if (silent !== undefined) {
    for (const socket of silent.sockets) socket.destroy();
    await new Promise((resolve) => silent!.server.close(resolve));
  }
  transport = pools = silent = undefined;
});

async function startService(): Promise<TestPushService> {
  const s = await TestPushService.start(vapid.publicKey, 'https1');
  services.push(s);
  return s;
}

const message = (round: number) => ({ topic: 't', contentUpdate: true, propertyUpdate: false, syncToken: `round ${round}` });

describe('Web Push over HTTP/1.1 (undici)', () => {
  it('messages to one service share at most maxSocketsPerService connections, kept alive from one change to the next', async () => {
    const s = await startService();
    transport = new WebPushTransport({ vapid, policy: LOOPBACK, testTrustedCa: s.ca as string, http2: false, maxSocketsPerService: 2, timeoutMs: 5000 });
    const subs = Array.from({ length: 10 }, (_, i) => s.subscribe(`phone${i}`));
    const send = (round: number): Promise<number[]> => Promise.all(subs.map((sub, i) => transport!.send(registrationOf(sub, `r${i}`), message(round))));
    expect(await send(1)).toEqual(Array(10).fill(201));
    const afterFirst = s.connections;
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThanOrEqual(2);
    expect(await send(2)).toEqual(Array(10).fill(201));
    expect(s.connections).toBe(afterFirst);
    expect(s.rejections).toEqual([]);
    expect(s.messages).toHaveLength(20);
    expect(s.messages.every((m) => m.httpVersion === '1.1')).toBe(true);
    expect(s.messages[0]!.claims.aud).toBe(s.origin);
  });

  it('a status other than 201 is resolved, not thrown', async () => {
    const s = await startService();
    transport = new WebPushTransport({ vapid, policy: LOOPBACK, testTrustedCa: s.ca as string, http2: false, timeoutMs: 5000 });
    const sub = s.subscribe('phone');
    sub.status = 410;
    expect(await transport.send(registrationOf(sub, 'r1'), message(1))).toBe(410);
  });

  it('refuses to connect to a loopback address the name resolves to; with private addresses allowed the same message is delivered', async () => {
    const s = await startService();
    // localhost resolves to a loopback address: the name passes a URL check, the address must not pass the connection's.
    const sub = s.subscribe('phone', s.origin.replace('127.0.0.1', 'localhost'));
    transport = new WebPushTransport({ vapid, policy: new ConnectTimeOnly(), testTrustedCa: s.ca as string, http2: false, timeoutMs: 5000 });
    await expect(transport.send(registrationOf(sub, 'r1'), message(1))).rejects.toThrow(/loopback, private or reserved/);
    expect(s.connections).toBe(0);
    expect(s.messages).toEqual([]);
    transport.close();
    // The control: the same request is possible when the policy allows the address.
    transport = new WebPushTransport({ vapid, policy: new ConnectTimeOnly({ allowPrivateAddresses: true }), testTrustedCa: s.ca as string, http2: false, timeoutMs: 5000 });
    expect(await transport.send(registrationOf(sub, 'r1'), message(1))).toBe(201);
    expect(s.rejections).toEqual([]);
    expect(s.messages.map((m) => m.httpVersion)).toEqual(['1.1']);
  });

  it('a service that accepts the connection but never answers fails the message after timeoutMs', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
    silent = { server, sockets };
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const keys = (await startService()).subscribe('phone');
    const sub = { ...keys, pushResource: `http://127.0.0.1:${port}/push/phone` };
    transport = new WebPushTransport({ vapid, policy: LOOPBACK, timeoutMs: 300 });
    const started = Date.now();
    await expect(transport.send(registrationOf(sub, 'r1'), message(1))).rejects.toThrow('push service did not answer within 300 ms');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(3000);
  });

  it('beyond maxOrigins the least recently used pool is closed; a later message to it connects anew', async () => {
    const [a, b] = [await startService(), await startService()];
    const post = (s: TestPushService): Promise<number> => pools!.post(new URL(`${s.origin}/push/nobody`), {}, Buffer.alloc(0));
    pools = new Http1Pools({ lookup: LOOPBACK.lookup, ca: `${a.ca}\n${b.ca}`, timeoutMs: 5000, maxConnections: 1, maxOrigins: 1 });
    // An unknown subscription is answered 404: only the connections matter here.
    expect(await post(a)).toBe(404);
    expect(await post(a)).toBe(404);
    expect(a.connections).toBe(1);
    expect(await post(b)).toBe(404); // a's pool is closed
    expect(await post(a)).toBe(404);
    expect([a.connections, b.connections]).toEqual([2, 1]);
  });

  it('after close, messages are refused', async () => {
    pools = new Http1Pools({ lookup: LOOPBACK.lookup, timeoutMs: 5000, maxConnections: 1 });
    pools.close();
    await expect(pools.post(new URL('http://127.0.0.1:9/x'), {}, Buffer.alloc(0))).rejects.toThrow(/closed/);
  });
});
