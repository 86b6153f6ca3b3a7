/**
 * Push with two instances on one PostgreSQL database: a client registers
 * through one instance, a PUT through the other is pushed (the registration
 * is in the shared table, and the instance that made the change delivers
 * it) with the token a sync REPORT through either instance then returns;
 * a DELETE of the registration URL through the second instance ends it for both.
 * With each instance's change feed started (as `davsync serve --postgres
 * --push` does), a change is delivered exactly once per registration: by the
 * instance that made it, not again by the one that hears of it by NOTIFY.
 */
import { afterAll, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { openPostgresStore, PostgresChangeFeed, type PostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres, type TestPostgres } from '@davsync/adapter-postgres/testing';
import { davsync, generateVapidKeys, type DavsyncMiddleware } from '@davsync/express';
import { DAV, PUSH, parseXml } from '@davsync/protocol';
import { dav, mkcol, put, sync, textOf, XML_HEADERS } from '../support/dav';
import { TestPushService } from '../support/push-service';
import { closeServer, listen } from '../support/server';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
const SYNC_BODY = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

interface Instance {
  readonly store: PostgresStore;
  readonly feed?: PostgresChangeFeed;
  readonly middleware: DavsyncMiddleware;
  readonly server: Server;
  readonly origin: string;
}

let pg: TestPostgres | undefined;
const instances: Instance[] = [];
let service: TestPushService | undefined;

afterAll(async () => {
  for (const i of instances.splice(0)) {
    await i.middleware.push?.close();
    i.middleware.changeStreams?.close();
    await i.feed?.close();
    await closeServer(i.server);
    await i.store.close();
  }
  await service?.close();
  await pg?.close();
}, 60_000);

async function instance(url: string, withFeed = false): Promise<Instance> {
  const store = await openPostgresStore({ connectionString: url, poolOptions: { max: 4 } });
  let feed: PostgresChangeFeed | undefined;
  if (withFeed) {
    feed = new PostgresChangeFeed({ pool: store.pool, connection: { connectionString: url }, local: store.engine.log });
    await feed.start();
  }
  const middleware = davsync({
    engine: store.engine,
    push: { vapid, allowHttpLoopback: true, coalesceMs: 0, store: store.pushRegistrations },
    ...(feed === undefined ? {} : { changeStream: { remoteChanges: feed } }),
  });
  const { server, origin } = await listen((req, res) => middleware(req, res));
  const made = { store, middleware, server, origin, ...(feed === undefined ? {} : { feed }) };
  instances.push(made);
  return made;
}

it('registered through one instance, a change through the other is pushed with the shared token', async () => {
  pg = await startTestPostgres();
  const url = await pg.createDatabase('davsync_push');
  const [one, two] = [await instance(url), await instance(url)] as [Instance, Instance];
  service = await TestPushService.start(vapid.publicKey);
  await mkcol(`${one.origin}/cal`);
  const sub = service.subscribe('phone');
  const body = `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
    </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;
  const registered = await dav(`${one.origin}/cal/`, 'POST', { headers: XML_HEADERS, body });
  expect(registered.status).toBe(201);
  const location = registered.headers.get('location') as string;

  await put(`${two.origin}/cal/a.ics`, 'x');
  await service.waitFor(() => service!.to('phone').length === 1);
  const root = await parseXml(service.to('phone')[0]!.body);
  const token = textOf(root.children.find((c) => c.name === PUSH.contentUpdate)?.children.find((c) => c.name === DAV.syncToken));
  expect(token).toBe((await sync(`${one.origin}/cal/`, SYNC_BODY)).syncToken);
  expect(token).toBe((await sync(`${two.origin}/cal/`, SYNC_BODY)).syncToken);

  // The registration URL names the first instance's origin; its id works on either.
  const id = location.slice(location.lastIndexOf('/') + 1);
  expect((await dav(`${two.origin}/.webdav-push/${id}`, 'DELETE')).status).toBe(204);
  await put(`${one.origin}/cal/b.ics`, 'x');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(service.to('phone')).toHaveLength(1);
  expect(service.rejections).toEqual([]);
});

it('with change feeds on both instances, a change is pushed once per registration, by the instance that made it', async () => {
  pg ??= await startTestPostgres();
  const url = await pg.createDatabase('davsync_push_once');
  const [one, two] = [await instance(url, true), await instance(url, true)] as [Instance, Instance];
  service ??= await TestPushService.start(vapid.publicKey);
  await mkcol(`${one.origin}/cal`);
  // The MKCOL is a change too (of /cal's own token): let its fan-out finish
  // first, or under load it can run after once-0 registered and wake it once
  // more — a spurious wake-up, not the double delivery this test looks for.
  await one.middleware.push!.dispatcher.idle();
  await two.middleware.push!.dispatcher.idle();
  // Registrations through both instances (a client registers wherever its request lands).
  const names = ['once-0', 'once-1', 'once-2', 'once-3', 'once-4', 'once-5'];
  for (const [i, name] of names.entries()) {
    const sub = service.subscribe(name);
    const body = `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
      <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
      <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
      </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;
    expect((await dav(`${(i % 2 === 0 ? one : two).origin}/cal/`, 'POST', { headers: XML_HEADERS, body })).status).toBe(201);
  }
  // The second instance hears of the first one's changes through its feed.
  const heard: string[][] = [];
  const stopListening = two.feed!.onChange((change) => heard.push([...change.paths]));
  for (const [n, via] of [one, two, one].entries()) {
    const other = via === one ? two : one;
    // The other instance hears of the change through its feed (so its dispatcher could push it too) …
    const feedOf = other.feed!;
    const otherHeard = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (stop(), reject(new Error('the other instance did not hear the change within 10 s'))), 10_000);
      const stop = feedOf.onChange((change) => {
        if (!change.paths.includes(`/cal/once-${n}.ics`)) return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
    await put(`${via.origin}/cal/once-${n}.ics`, 'x');
    await otherHeard;
    // … then until neither dispatcher has anything left to send.
    await one.middleware.push!.dispatcher.idle();
    await two.middleware.push!.dispatcher.idle();
    for (const name of names) expect([name, service.to(name).length]).toEqual([name, n + 1]);
  }
  stopListening();
  expect(heard.some((paths) => paths.includes('/cal/once-0.ics'))).toBe(true);
  expect(service.rejections).toEqual([]);
}, 60_000);
