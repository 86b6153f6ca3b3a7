/**
 * Resumable uploads with two instances on one PostgreSQL database (as
 * behind a load balancer): an upload begun through one instance and cut
 * off is resumed and completed through the other, and the member is whole.
 */
import { afterAll, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { request, type Server } from 'node:http';
import { openPostgresStore, type PostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres, type TestPostgres } from '@davsync/adapter-postgres/testing';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';

let pg: TestPostgres | undefined;
const instances: Array<{ store: PostgresStore; server: Server }> = [];

afterAll(async () => {
  for (const i of instances.splice(0)) {
    await closeServer(i.server);
    await i.store.close();
  }
  await pg?.close();
}, 60_000);

async function instance(url: string): Promise<string> {
  const store = await openPostgresStore({ connectionString: url, poolOptions: { max: 4 } });
  const middleware = davsync({ engine: store.engine });
  const { server, origin } = await listen((req, res) => middleware(req, res));
  instances.push({ store, server });
  return origin;
}

function send(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('an upload begun on one instance is resumed and completed on the other', async () => {
  pg = await startTestPostgres();
  const url = await pg.createDatabase('davsync_uploads');
  const [one, two] = [await instance(url), await instance(url)] as [string, string];
  const data = randomBytes(1024 * 1024 + 3);
  const created = await send(`${one}/moved.bin`, 'PUT', { 'upload-complete': '?0', 'upload-length': String(data.length) }, data.subarray(0, 400_000));
  expect(created.status).toBe(201);
  const path = new URL(created.headers['location'] as string).pathname;
  const head = await send(`${two}${path}`, 'HEAD', {});
  expect(head.headers['upload-offset']).toBe('400000');
  const done = await send(`${two}${path}`, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': '400000', 'upload-complete': '?1' }, data.subarray(400_000));
  expect(done.status).toBe(201);
  const got = await send(`${one}/moved.bin`, 'GET', {});
  expect(createHash('sha256').update(got.body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
}, 120_000);
