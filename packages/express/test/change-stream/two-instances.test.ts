/**
 * The change stream with two instances on one PostgreSQL database: a
 * stream opened on one instance hears a PUT made through the other
 * (LISTEN/NOTIFY through `PostgresChangeFeed`), with the token a sync
 * REPORT then returns; an instance's feed passes on only the others' changes.
 */
import { afterAll, expect, it } from '@jest/globals';
import { request, type IncomingMessage, type Server } from 'node:http';
import { openPostgresStore, PostgresChangeFeed, type PostgresStore } from '@davsync/adapter-postgres';
import { startTestPostgres, type TestPostgres } from '@davsync/adapter-postgres/testing';
import { davsync, type DavsyncMiddleware } from '@davsync/express';
import { mkcol, put, sync } from '../support/dav';
import { closeServer, listen } from '../support/server';

const SYNC_BODY = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

interface Instance {
  readonly store: PostgresStore;
  readonly feed: PostgresChangeFeed;
  readonly middleware: DavsyncMiddleware;
  readonly server: Server;
  readonly origin: string;
}

let pg: TestPostgres | undefined;
const instances: Instance[] = [];
const responses: IncomingMessage[] = [];

afterAll(async () => {
  for (const r of responses) r.destroy();
  for (const i of instances.splice(0)) {
    i.middleware.changeStreams?.close();
    await closeServer(i.server);
    await i.feed.close();
    await i.store.close();
  }
  await pg?.close();
}, 60_000);

async function instance(url: string): Promise<Instance> {
  const store = await openPostgresStore({ connectionString: url, poolOptions: { max: 4 } });
  const feed = new PostgresChangeFeed({ pool: store.pool, connection: { connectionString: url }, local: store.engine.log });
  await feed.start();
  const middleware = davsync({ engine: store.engine, changeStream: { remoteChanges: feed } });
  const { server, origin } = await listen((req, res) => middleware(req, res));
  const made = { store, feed, middleware, server, origin };
  instances.push(made);
  return made;
}

/** Opens a stream and collects its change events' data. */
function openStream(url: string): Promise<{ tokens: string[] }> {
  return new Promise((resolve, reject) => {
    const tokens: string[] = [];
    const req = request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      responses.push(res);
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, cut))?.[1];
          if (data !== undefined) tokens.push((JSON.parse(data) as { token: string }).token);
          buffer = buffer.slice(cut + 2);
        }
      });
      res.on('error', () => undefined);
      resolve({ tokens });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('a stream on one instance hears a PUT through the other', async () => {
  pg = await startTestPostgres();
  const url = await pg.createDatabase('davsync_stream');
  const [one, two] = [await instance(url), await instance(url)] as [Instance, Instance];
  const heardByOne: string[][] = [];
  one.feed.onChange((change) => heardByOne.push([...change.paths]));
  await mkcol(`${one.origin}/cal`);
  const stream = await openStream(`${two.origin}/cal/`);
  await until(() => stream.tokens.length === 1);
  await put(`${one.origin}/cal/a.ics`, 'x');
  await until(() => stream.tokens.length === 2);
  expect(stream.tokens[1]).toBe((await sync(`${two.origin}/cal/`, SYNC_BODY)).syncToken);
  // A change through its own instance arrives once (its own notification is not passed on again).
  await put(`${two.origin}/cal/b.ics`, 'x');
  await until(() => stream.tokens.length === 3);
  await until(() => heardByOne.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(stream.tokens).toHaveLength(3);
  expect(new Set(stream.tokens).size).toBe(3);
  // The first instance's feed passed on only the second instance's change, not its own MKCOL and PUT.
  expect(heardByOne).toEqual([['/cal/b.ics']]);
});
