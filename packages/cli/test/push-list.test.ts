/**
 * `davsync push list` on a served folder, while the server runs: every
 * registration with its expiry and what its push service last answered
 * (201 for one, 500 for the other), as text and JSON, no keys and no push
 * resource paths; `--collection`; and the command line's refusals. (The
 * PostgreSQL variant is adapter-postgres/test/cli-push-list.test.ts.)
 */
import { afterEach, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { TestPushService, type TestSubscription } from '../../express/test/support/push-service';
import { cleanup, runToEnd, startServe, tempDir } from './support';

let service: TestPushService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
  await cleanup();
});

const registerBody = (sub: TestSubscription): string => `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
  <P:push-resource>${sub.pushResource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
  <P:subscription-public-key type="p256dh">${sub.publicKey}</P:subscription-public-key><P:auth-secret>${sub.authSecret}</P:auth-secret>
  </P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;

interface Listed {
  id: string;
  collection: string;
  user: string | null;
  pushService: string;
  expires: string;
  failures: number;
  lastDelivery: { at: string; ok: boolean; status?: number; error?: string } | null;
}

it('lists every registration with its last delivery while the server runs', async () => {
  const dir = join(await tempDir(), 'data');
  const served = await startServe([dir, '--push', '--push-allow-http-loopback', '--log-level', 'warn']);
  try {
    const key = /vapid-public-key[^>]*>([A-Za-z0-9_-]+)</.exec(
      await (await fetch(served.url, { method: 'PROPFIND', headers: { depth: '0' }, body: '<D:propfind xmlns:D="DAV:" xmlns:P="https://bitfire.at/webdav-push"><D:prop><P:transports/></D:prop></D:propfind>' })).text(),
    )?.[1] as string;
    service = await TestPushService.start(key);
    const phone = service.subscribe('phone');
    const tablet = service.subscribe('tablet');
    tablet.status = 500; // its push service fails: what the listing must show
    expect((await fetch(`${served.url}cal/`, { method: 'MKCOL' })).status).toBe(201);
    for (const sub of [phone, tablet]) {
      expect((await fetch(`${served.url}cal/`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: registerBody(sub) })).status).toBe(201);
    }

    const before = await runToEnd(['push', 'list', dir]);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('/cal (2 registrations)');
    expect(before.stdout.match(/last delivery: none yet/g)).toHaveLength(2);

    expect((await fetch(`${served.url}cal/a.ics`, { method: 'PUT', body: 'a' })).status).toBe(201);
    await service.waitFor(() => service!.to('phone').length === 1);
    // The outcome is recorded just after the push service answers: poll the listing (bounded).
    let listed: Listed[] = [];
    for (let i = 0; i < 100 && !(listed.length === 2 && listed.every((r) => r.lastDelivery !== null)); i++) {
      const r = await runToEnd(['push', 'list', dir, '--json']);
      expect(r.code).toBe(0);
      listed = JSON.parse(r.stdout) as Listed[];
      if (!listed.every((x) => x.lastDelivery !== null)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(listed).toHaveLength(2);
    const byOk = new Map(listed.map((r) => [r.lastDelivery?.ok, r]));
    expect(byOk.get(true)).toMatchObject({ collection: '/cal', user: null, pushService: service.origin, failures: 0, lastDelivery: { ok: true, status: 201 } });
    expect(byOk.get(false)).toMatchObject({ lastDelivery: { ok: false, status: 500, error: 'push service answered 500' } });
    expect(byOk.get(false)?.failures).toBeGreaterThanOrEqual(1); // retried after a back-off of 1 s, 2 s, …
    expect(Date.parse(listed[0]!.expires)).toBeGreaterThan(Date.now());
    // Nothing that lets a reader push to the client or read its messages.
    const raw = (await runToEnd(['push', 'list', dir, '--json'])).stdout + (await runToEnd(['push', 'list', dir])).stdout;
    for (const secret of [phone.publicKey, phone.authSecret, tablet.authSecret, '/push/phone']) expect(raw).not.toContain(secret);

    const text = await runToEnd(['push', 'list', dir, '--collection', '/cal/']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/user \(anonymous\) {2}http:\/\/127\.0\.0\.1:\d+ {2}content-update depth 1/);
    expect(text.stdout).toMatch(/last delivery: \S+ ok \(push service answered 201\)/);
    expect(text.stdout).toMatch(/last delivery: \S+ FAILED \(\d+ in a row\): push service answered 500/);

    const other = await runToEnd(['push', 'list', dir, '--collection', '/other']);
    expect(other.stdout).toBe('no live push registrations on /other\n');
  } finally {
    served.proc.child.kill('SIGTERM');
    expect((await served.proc.waitExit()).code).toBe(0);
  }
}, 60_000);

it('refuses what it cannot list with one line and exit 1 or 2', async () => {
  const empty = await tempDir();
  const notServed = await runToEnd(['push', 'list', empty]);
  expect(notServed.code).toBe(1);
  expect(notServed.stderr).toMatch(/^davsync: .* has no davsync state .*has it been served/);
  for (const args of [['push'], ['push', 'frob'], ['push', 'list'], ['push', 'list', empty, '--postgres', 'postgresql://x/y'], ['push', 'list', empty, '--collection', 'cal'], ['push', 'list', '--postgres', 'mysql://x']]) {
    const r = await runToEnd(args);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toMatch(/^davsync: .*\(see davsync push --help\)\n$/);
  }
  const help = await runToEnd(['push', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: davsync push list DIR');
});
