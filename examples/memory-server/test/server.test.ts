import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { startMemoryServer } from '../src/server';

let server: Server;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startMemoryServer(0));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it('serves a collection a client can sync: PUT, initial sync, delta', async () => {
  expect((await fetch(`${url}notes.txt`, { method: 'PUT', body: 'hello' })).status).toBe(201);
  const sync = (token: string) =>
    fetch(url, {
      method: 'REPORT',
      headers: { 'content-type': 'application/xml' },
      body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
    }).then((r) => r.text());
  const first = await sync('');
  expect(first).toContain('<D:href>/notes.txt</D:href>');
  const token = /<D:sync-token>([^<]+)</.exec(first)?.[1] ?? '';
  await fetch(`${url}todo.txt`, { method: 'PUT', body: 'x' });
  const delta = await sync(token);
  expect(delta).toContain('<D:href>/todo.txt</D:href>');
  expect(delta).not.toContain('/notes.txt');
});
