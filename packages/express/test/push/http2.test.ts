/**
 * Web Push over HTTP/2: with an https push service that offers `h2` by
 * ALPN (the local test service, TLS with a throwaway certificate trusted
 * through the test-only `testTrustedCa`), messages go as streams of one
 * session, and the service decrypts them (RFC 8291) and verifies VAPID
 * exactly as over HTTP/1.1; a 410 removes the registration; a service
 * offering only HTTP/1.1 is still served; a GOAWAY leads to a new
 * session; `http2: false` keeps HTTP/1.1;
 * and the push resource policy's connect-time address check holds for
 * the HTTP/2 connection.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync, generateVapidKeys, type DavsyncMiddleware, type DavsyncOptions } from '@davsync/express';
import { dav, mkcol, put, XML_HEADERS } from '../support/dav';
import { ConnectTimeOnly, registrationOf } from '../support/push-transport';
import { TestPushService, type PushServiceProtocol, type TestSubscription } from '../support/push-service';
import { closeServer, listen } from '../support/server';
import { PushResourcePolicy } from '../../src/push/push-resource-policy';
import { WebPushTransport } from '../../src/push/web-push-transport';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };

let service: TestPushService | undefined;
let server: Server | undefined;
let origin: string;
let middleware: DavsyncMiddleware | undefined;
let transport: WebPushTransport | undefined;

async function start(protocol: PushServiceProtocol, push: Record<string, unknown> = {}): Promise<TestPushService> {
  service = await TestPushService.start(vapid.publicKey, protocol);
  middleware = davsync({
    adapter: new MemoryAdapter(),
    push: { vapid, allowHttpLoopback: true, coalesceMs: 0, testTrustedCa: service.ca, ...push },
  } as DavsyncOptions);
  ({ server, origin } = await listen((req, res) => middleware!(req, res)));
  await mkcol(`${origin}/cal`);
  return service;
}

afterEach(async () => {
  transport?.close();
  await middleware?.push?.close();
  if (server !== undefined) await closeServer(server);
  await middleware?.engine.close();
  await service?.close();
  service = server = middleware = transport = undefined;
});

const registerBody = (sub: TestSubscription): string => `<?xml version="1.0" encoding="utf-8"?>
<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:">
  <P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource>
    <P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key>
    <P:auth-secret>${sub.authSecret}</P:auth-secret>
  </P:web-push-subscription></P:subscription>
  <P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger>
</P:push-register>`;

async function register(sub: TestSubscription): Promise<string> {
  const r = await dav(`${origin}/cal/`, 'POST', { headers: XML_HEADERS, body: registerBody(sub) });
  expect(r.status).toBe(201);
  return r.headers.get('location') as string;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Web Push over HTTP/2', () => {
  it('a change to 20 subscriptions arrives as 20 decrypted, VAPID-signed messages over one HTTP/2 connection', async () => {
    const s = await start('h2');
    const subs = Array.from({ length: 20 }, (_, i) => s.subscribe(`phone${i}`));
    for (const sub of subs) await register(sub);
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.messages.length === 20);
    expect(s.rejections).toEqual([]);
    expect(new Set(s.messages.map((m) => m.name)).size).toBe(20);
    expect(s.messages.every((m) => m.httpVersion === '2.0')).toBe(true);
    expect(s.messages[0]!.body).toContain('push-message');
    expect(s.messages[0]!.claims.aud).toBe(s.origin);
    // A second change reuses the session.
    await put(`${origin}/cal/b.ics`, 'x');
    await s.waitFor(() => s.messages.length === 40);
    expect(s.connections).toBe(1);
  });

  it('after the push service sends GOAWAY, the next change connects anew and is delivered', async () => {
    const s = await start('h2');
    await register(s.subscribe('phone'));
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.to('phone').length === 1);
    expect(s.goAway()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the GOAWAY reaches the client
    await put(`${origin}/cal/b.ics`, 'x');
    await s.waitFor(() => s.to('phone').length === 2);
    expect(s.connections).toBe(2);
    expect(s.rejections).toEqual([]);
    expect(s.to('phone').map((m) => m.httpVersion)).toEqual(['2.0', '2.0']);
  });

  it('a stream the service resets without an answer is sent once more, on the same session, and arrives once', async () => {
    // A back-off of 3 s after a failure: a message that arrives sooner was sent again at once, not after a failure.
    const s = await start('h2', { backoff: { baseMs: 3000 } });
    const phone = s.subscribe('phone');
    await register(phone);
    phone.refuseStreams = 1;
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.to('phone').length === 1, 2000);
    expect(s.refusedStreams).toBe(1);
    expect(s.connections).toBe(1);
    expect(s.rejections).toEqual([]);
    // Refused twice in a row: the one retry is spent, so the message waits for the dispatcher's back-off, not a third stream at once.
    phone.refuseStreams = 2;
    await put(`${origin}/cal/b.ics`, 'x');
    await s.waitFor(() => s.refusedStreams === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.to('phone')).toHaveLength(1);
    expect(s.refusedStreams).toBe(3);
    // …and after it the change still arrives.
    await s.waitFor(() => s.to('phone').length === 2, 10_000);
    expect(s.to('phone')[1]!.body).not.toBe(s.to('phone')[0]!.body); // the second change's token
  });

  it('a 410 over HTTP/2 removes the registration', async () => {
    const s = await start('h2');
    const sub = s.subscribe('phone');
    const url = await register(sub);
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.to('phone').length === 1);
    expect(s.to('phone')[0]!.httpVersion).toBe('2.0');
    sub.status = 410;
    await put(`${origin}/cal/b.ics`, 'x');
    await waitUntil(async () => (await dav(url, 'GET')).status === 404);
    expect(await middleware!.push!.list('/cal')).toEqual([]);
  });

  it('a push service offering only HTTP/1.1 over TLS still gets its messages', async () => {
    const s = await start('https1');
    const sub = s.subscribe('phone');
    const url = await register(sub);
    for (const name of ['a', 'b']) {
      await put(`${origin}/cal/${name}.ics`, 'x');
      await waitUntil(async () => s.to('phone').length === (name === 'a' ? 1 : 2));
    }
    expect(s.rejections).toEqual([]);
    expect(s.messages.map((m) => m.httpVersion)).toEqual(['1.1', '1.1']);
    await waitUntil(async () => JSON.parse((await dav(url, 'GET')).text).lastDelivery?.status === 201);
  });

  it('http2: false keeps HTTP/1.1 with a service that offers h2', async () => {
    const s = await start('h2', { http2: false });
    await register(s.subscribe('phone'));
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.to('phone').length === 1);
    expect(s.to('phone')[0]!.httpVersion).toBe('1.1');
  });
});

describe('HTTP/2 stream slots', () => {
  it('with fewer slots than messages, the rest wait their turn, and all arrive decrypted over the one connection', async () => {
    service = await TestPushService.start(vapid.publicKey, 'h2');
    const s = service;
    transport = new WebPushTransport({ vapid, policy: new PushResourcePolicy({ allowHttpLoopback: true, allowPrivateAddresses: true }), testTrustedCa: s.ca as string, timeoutMs: 5000, maxStreamsPerService: 3 });
    const send = (round: number): Promise<number[]> =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          return transport!.send(registrationOf(s.subscribe(`tablet${i}`), `r${i}`), { topic: 't', contentUpdate: true, propertyUpdate: false, syncToken: `round ${round}` });
        }),
      );
    expect(await send(1)).toEqual(Array(20).fill(201));
    expect(await send(2)).toEqual(Array(20).fill(201));
    expect(s.rejections).toEqual([]);
    expect(s.messages).toHaveLength(40);
    expect(s.messages.every((m) => m.httpVersion === '2.0')).toBe(true);
    expect(s.connections).toBe(1);
  });
});

describe('connections and streams per push service, from the push options', () => {
  /** Registers `n` subscriptions, PUTs once, and waits for their messages (each answered 50 ms late, as from a distant service). */
  async function change(s: TestPushService, n: number): Promise<void> {
    s.answerDelayMs = 50;
    for (let i = 0; i < n; i++) await register(s.subscribe(`phone${i}`));
    await put(`${origin}/cal/a.ics`, 'x');
    await s.waitFor(() => s.messages.length === n);
    expect(s.rejections).toEqual([]);
  }

  it('HTTP/1.1: the default opens more than 2 connections for 8 slow answers', async () => {
    const s = await start('https1', { http2: false });
    await change(s, 8);
    expect(s.connections).toBeGreaterThan(2);
    expect(s.maxInFlight).toBeGreaterThan(2);
  });

  it('HTTP/1.1: maxConnectionsPerService 2 keeps it to 2, and every message still arrives', async () => {
    const s = await start('https1', { http2: false, maxConnectionsPerService: 2 });
    await change(s, 8);
    expect(s.connections).toBeLessThanOrEqual(2);
    expect(s.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('HTTP/2: maxStreamsPerService 2 keeps at most 2 streams in flight on the one session', async () => {
    const s = await start('h2', { maxStreamsPerService: 2 });
    await change(s, 8);
    expect(s.connections).toBe(1);
    expect(s.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('HTTP/2: the default (100) has more than 2 of the 8 in flight at once', async () => {
    const s = await start('h2');
    await change(s, 8);
    expect(s.maxInFlight).toBeGreaterThan(2);
  });

  it('refuses a bound outside 1..1000', () => {
    expect(() => davsync({ adapter: new MemoryAdapter(), push: { vapid, maxConnectionsPerService: 0 } } as DavsyncOptions)).toThrow(/maxConnectionsPerService/);
    expect(() => davsync({ adapter: new MemoryAdapter(), push: { vapid, maxStreamsPerService: 1001 } } as DavsyncOptions)).toThrow(/maxStreamsPerService/);
  });
});

describe('HTTP/2 answer timeout', () => {
  it('gives up on a stream the service never answers after timeoutMs, frees its slot, and the session still delivers', async () => {
    service = await TestPushService.start(vapid.publicKey, 'h2');
    const s = service;
    transport = new WebPushTransport({ vapid, policy: new PushResourcePolicy({ allowHttpLoopback: true, allowPrivateAddresses: true }), testTrustedCa: s.ca as string, timeoutMs: 300, maxStreamsPerService: 1 });
    const silent = s.subscribe('silent');
    silent.status = 0;
    const message = { topic: 't', contentUpdate: true, propertyUpdate: false, syncToken: 'x' };
    const started = performance.now();
    const lost = transport.send(registrationOf(silent, 'r1'), message);
    // With one slot, this message waits for the silent one's outcome.
    const next = transport.send(registrationOf(s.subscribe('phone'), 'r2'), message);
    await expect(lost).rejects.toThrow('push service did not answer within 300 ms');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(5000);
    expect(await next).toBe(201);
    expect(s.messages.map((m) => m.name)).toEqual(['phone']);
    expect(s.connections).toBe(1);
  });
});

describe('the push resource policy on the HTTP/2 path', () => {
  async function sendVia(policy: PushResourcePolicy, s: TestPushService, sub: TestSubscription): Promise<number> {
    transport = new WebPushTransport({ vapid, policy, testTrustedCa: s.ca as string, timeoutMs: 5000 });
    return transport.send(registrationOf(sub, 'r1'), { topic: 't', contentUpdate: true, propertyUpdate: false, syncToken: 'x' });
  }

  it('refuses to connect to a loopback address the name resolves to; the same transport with private addresses allowed delivers over h2', async () => {
    service = await TestPushService.start(vapid.publicKey, 'h2');
    // localhost resolves to a loopback address: the name passes a URL check, the address must not pass the connection's.
    const sub = service.subscribe('phone', service.origin.replace('127.0.0.1', 'localhost'));
    await expect(sendVia(new ConnectTimeOnly(), service, sub)).rejects.toThrow(/loopback, private or reserved/);
    expect(service.connections).toBe(0);
    expect(service.messages).toEqual([]);
    transport!.close();
    // The control: the same request is possible when the policy allows the address.
    expect(await sendVia(new ConnectTimeOnly({ allowPrivateAddresses: true }), service, sub)).toBe(201);
    expect(service.rejections).toEqual([]);
    expect(service.messages.map((m) => m.httpVersion)).toEqual(['2.0']);
  });
});
