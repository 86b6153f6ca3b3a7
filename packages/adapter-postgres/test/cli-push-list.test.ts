/**
 * `davsync push list --postgres URL`: the registrations in the shared table,
 * every user's, with what each push service last answered; `--collection`.
 * Registrations are made and deliveries recorded through the store (what
 * `serve --push` does on a change; the fs variant, with a running server,
 * is cli/test/push-list.test.ts).
 */
import { expect, it } from '@jest/globals';
import { openPostgresStore } from '@davsync/adapter-postgres';
import { runToEnd } from '../../cli/test/support';
import { database } from './support/postgres';

const subscription = (n: number) => ({ pushResource: `https://push.example/s/secret-${n}`, publicKey: `BPk${n}`, authSecret: `auth-${n}` });

it('lists every registration in the database with its last delivery', async () => {
  const { server } = await database();
  const url = await server.createDatabase('davsync_cli_push_list');
  const store = await openPostgresStore({ connectionString: url });
  try {
    const expires = Date.now() + 3600_000;
    const reg = store.pushRegistrations;
    const alice = (await reg.register({ collection: '/cal', user: 'alice', subscription: subscription(1), trigger: { contentUpdate: 1 }, expires })).registration;
    const bob = (await reg.register({ collection: '/books', user: 'bob', subscription: subscription(2), trigger: { contentUpdate: 'infinity', propertyUpdate: 0 }, expires })).registration;
    await reg.register({ collection: '/cal', user: 'carol', subscription: subscription(3), trigger: { contentUpdate: 1 }, expires });
    await reg.recordDelivery(alice.id, { at: Date.parse('2026-12-01T10:00:00Z'), ok: true, status: 201 });
    await reg.recordDelivery(bob.id, { at: Date.parse('2026-12-01T10:00:00Z'), ok: false, error: 'connect ECONNREFUSED 203.0.113.9:443' });
    await reg.recordDelivery(bob.id, { at: Date.parse('2026-12-01T10:00:02Z'), ok: false, status: 503, error: 'push service answered 503' });

    const text = await runToEnd(['push', 'list', '--postgres', url]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').filter((l) => !l.startsWith(' '))).toEqual(['/books (1 registration)', '/cal (2 registrations)', '']);
    expect(text.stdout).toContain(`${bob.id}  user bob  https://push.example  content-update depth infinity, property-update depth 0`);
    expect(text.stdout).toContain('last delivery: 2026-12-01T10:00:02.000Z FAILED (2 in a row): push service answered 503');
    expect(text.stdout).toContain('last delivery: 2026-12-01T10:00:00.000Z ok (push service answered 201)');
    expect(text.stdout).toContain('user carol');
    expect(text.stdout).toContain('last delivery: none yet');
    expect(text.stdout).not.toContain('secret-');

    const json = await runToEnd(['push', 'list', '--postgres', url, '--collection', '/cal', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ id: string; user: string; lastDelivery: unknown }>;
    expect(listed.map((r) => r.user)).toEqual(['alice', 'carol']);
    expect(listed[0]).toMatchObject({ id: alice.id, collection: '/cal', pushService: 'https://push.example', failures: 0, lastDelivery: { at: '2026-12-01T10:00:00.000Z', ok: true, status: 201 } });
    expect(json.stdout).not.toContain('auth-1');
  } finally {
    await store.close();
    await server.dropDatabase(url);
  }
}, 60_000);

it('says which database it could not open, without its password', async () => {
  const r = await runToEnd(['push', 'list', '--postgres', 'postgresql://someone:hunter2@127.0.0.1:1/none']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^davsync: cannot open postgres: /);
  expect(r.stderr).not.toContain('hunter2');
});
