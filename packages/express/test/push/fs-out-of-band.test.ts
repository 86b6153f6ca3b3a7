/**
 * Push on the fs store: a file another program writes into the served
 * folder is noticed by the store's watcher, recorded, and pushed — the
 * message carries the token a sync REPORT then returns.
 */
import { afterEach, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync, generateVapidKeys, type DavsyncMiddleware } from '@davsync/express';
import { DAV, PUSH, parseXml } from '@davsync/protocol';
import { dav, sync, textOf, XML_HEADERS } from '../support/dav';
import { TestPushService } from '../support/push-service';
import { closeServer, listen } from '../support/server';

const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
const SYNC_BODY = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

let dir: string | undefined;
let store: FsStore | undefined;
let server: Server | undefined;
let middleware: DavsyncMiddleware | undefined;
let service: TestPushService | undefined;

afterEach(async () => {
  await middleware?.push?.close();
  if (server !== undefined) await closeServer(server);
  await store?.close();
  await service?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = store = server = middleware = service = undefined;
});

it('an out-of-band write into the served folder reaches the subscription with the new token', async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-push-fs-'));
  await mkdir(join(dir, 'data', 'cal'), { recursive: true });
  store = await openFsStore({ root: join(dir, 'data'), stateDir: join(dir, 'state'), watchDelayMs: 20 });
  await store.reconciled;
  service = await TestPushService.start(vapid.publicKey);
  middleware = davsync({ engine: store.engine, push: { vapid, allowHttpLoopback: true, coalesceMs: 0 } });
  let origin: string;
  ({ server, origin } = await listen((req, res) => middleware!(req, res)));
  const sub = service.subscribe('phone');
  const body = `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
    <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
    <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
    </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;
  expect((await dav(`${origin}/cal/`, 'POST', { headers: XML_HEADERS, body })).status).toBe(201);

  await writeFile(join(dir, 'data', 'cal', 'made-elsewhere.ics'), 'BEGIN:VCALENDAR');
  await service.waitFor(() => service!.to('phone').length >= 1, 10_000);
  const ms = await sync(`${origin}/cal/`, SYNC_BODY);
  expect(ms.hrefs).toContain('/cal/made-elsewhere.ics');
  const root = await parseXml(service.to('phone').at(-1)!.body);
  const token = textOf(root.children.find((c) => c.name === PUSH.contentUpdate)?.children.find((c) => c.name === DAV.syncToken));
  expect(token).toBe(ms.syncToken);
  expect(service.rejections).toEqual([]);
});
