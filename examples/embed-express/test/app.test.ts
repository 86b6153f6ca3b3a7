import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, DEMO_USERS } from '../src/app';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer(createApp());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

type User = keyof typeof DEMO_USERS & string;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const as = (user: User) => ({ authorization: basic(user, DEMO_USERS[user] as string) });

const SYNC = (token: string) =>
  `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;

async function sync(user: User, token = ''): Promise<{ hrefs: string[]; token: string }> {
  const r = await fetch(`${origin}/dav/`, {
    method: 'REPORT',
    headers: { ...as(user), 'content-type': 'application/xml' },
    body: SYNC(token),
  });
  expect(r.status).toBe(207);
  const text = await r.text();
  return {
    hrefs: [...text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1] as string),
    token: /<D:sync-token>([^<]+)</.exec(text)?.[1] ?? '',
  };
}

it('refuses requests without valid credentials with 401, before davsync sees them', async () => {
  const attempts: Array<Record<string, string>> = [
    {},
    { authorization: basic('alice', 'wrong') },
    { authorization: basic('mallory', 'alice-password') },
    { authorization: 'Bearer alice' },
  ];
  for (const headers of attempts) {
    const put = await fetch(`${origin}/dav/intruder.txt`, { method: 'PUT', headers, body: 'x' });
    expect(put.status).toBe(401);
    expect(put.headers.get('www-authenticate')).toMatch(/^Basic realm="example"/);
    expect(await put.text()).toBe('login required\n');
    // davsync answers OPTIONS with a DAV header; the login answered this one.
    const options = await fetch(`${origin}/dav/`, { method: 'OPTIONS', headers });
    expect(options.status).toBe(401);
    expect(options.headers.get('dav')).toBeNull();
  }
  expect((await sync('alice')).hrefs).toEqual([]);
  expect((await sync('bob')).hrefs).toEqual([]);
});

it('gives each user a store of their own: alice’s files never reach bob’s sync', async () => {
  const put = await fetch(`${origin}/dav/notes.txt`, { method: 'PUT', headers: as('alice'), body: 'alice’s notes' });
  expect(put.status).toBe(201);

  const bobFirst = await sync('bob');
  expect(bobFirst.hrefs).toEqual([]);
  expect((await fetch(`${origin}/dav/notes.txt`, { headers: as('bob') })).status).toBe(404);

  const aliceFirst = await sync('alice');
  expect(aliceFirst.hrefs).toEqual(['/dav/notes.txt']);
  expect(await (await fetch(`${origin}/dav/notes.txt`, { headers: as('alice') })).text()).toBe('alice’s notes');

  // Bob writes the same name: a different file, in a different store.
  await fetch(`${origin}/dav/notes.txt`, { method: 'PUT', headers: as('bob'), body: 'bob’s notes' });
  expect((await sync('bob', bobFirst.token)).hrefs).toEqual(['/dav/notes.txt']);
  expect(await sync('alice', aliceFirst.token)).toEqual({ hrefs: [], token: aliceFirst.token });
  expect(await (await fetch(`${origin}/dav/notes.txt`, { headers: as('alice') })).text()).toBe('alice’s notes');

  // Each store has its own tokens: alice's token means nothing in bob's store.
  const r = await fetch(`${origin}/dav/`, { method: 'REPORT', headers: { ...as('bob'), 'content-type': 'application/xml' }, body: SYNC(aliceFirst.token) });
  expect(r.status).toBe(403);
  expect(await r.text()).toContain('valid-sync-token');
});

it('writes every href with the /dav mount point', async () => {
  await fetch(`${origin}/dav/projects/`, { method: 'MKCOL', headers: as('alice') });
  await fetch(`${origin}/dav/projects/plan.txt`, { method: 'PUT', headers: as('alice'), body: 'plan' });
  const r = await fetch(`${origin}/dav/projects/`, { method: 'PROPFIND', headers: { ...as('alice'), depth: '1' } });
  expect(r.status).toBe(207);
  const hrefs = [...(await r.text()).matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
  expect(hrefs.sort()).toEqual(['/dav/projects/', '/dav/projects/plan.txt']);
  expect((await sync('alice')).hrefs.every((h) => h.startsWith('/dav/'))).toBe(true);
});

it('keeps serving the app’s own routes', async () => {
  expect((await fetch(`${origin}/`)).status).toBe(200);
  expect((await fetch(`${origin}/me`)).status).toBe(401);
  expect(await (await fetch(`${origin}/me`, { headers: as('bob') })).json()).toEqual({ user: 'bob' });
});
