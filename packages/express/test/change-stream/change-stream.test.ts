/**
 * The server-sent change stream on the memory store: the first event is the
 * current token, each change in scope brings the token a sync REPORT then
 * returns, heartbeats arrive, depth is honoured, the cap per user answers
 * 429 with Retry-After, sync access is required and its loss ends the
 * stream, `Push-Dont-Notify: *` spares it, and `close()` ends open streams.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { request, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { davsync, type DavsyncMiddleware, type DavsyncOptions } from '@davsync/express';
import { dav, mkcol, put, sync } from '../support/dav';
import { closeServer, listen } from '../support/server';

const SYNC_BODY = '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

let server: Server;
let origin: string;
let middleware: DavsyncMiddleware;
const clients: EventClient[] = [];

async function start(options: Partial<DavsyncOptions> = {}, changeStream: Record<string, unknown> = {}): Promise<void> {
  middleware = davsync({ adapter: new MemoryAdapter(), changeStream, ...options } as DavsyncOptions);
  ({ server, origin } = await listen((req, res) => middleware(req, res)));
  await mkcol(`${origin}/cal`);
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  middleware.changeStreams?.close();
  await closeServer(server);
  await middleware.engine.close();
});

interface ServerEvent {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** A minimal EventSource: parses the stream into events and comments as they arrive. */
class EventClient {
  readonly events: ServerEvent[] = [];
  ended = false;
  private buffer = '';
  private constructor(private readonly req: ClientRequest, readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let cut: number;
      while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, cut);
        this.buffer = this.buffer.slice(cut + 2);
        const event: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) event['comment'] = line.slice(1).trim();
          else {
            const colon = line.indexOf(':');
            event[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
        }
        this.events.push(event);
      }
    });
    res.on('end', () => {
      this.ended = true;
    });
    res.on('error', () => undefined);
  }

  static open(path: string, headers: Record<string, string> = {}): Promise<EventClient> {
    return new Promise((resolve, reject) => {
      const req = request(`${origin}${path}`, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
        const client = new EventClient(req, res);
        clients.push(client);
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  changes(): { collection: string; token: string }[] {
    return this.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data as string));
  }

  async waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`stream: condition not met within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.req.destroy();
  }
}

const reportToken = async (path = '/cal/'): Promise<string> => (await sync(`${origin}${path}`, SYNC_BODY)).syncToken as string;

describe('change stream', () => {
  it('starts with the current token, then one event per change with the token a sync REPORT returns', async () => {
    await start();
    const client = await EventClient.open('/cal/');
    expect(client.res.statusCode).toBe(200);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await client.waitFor(() => client.changes().length === 1);
    expect(client.changes()[0]).toEqual({ collection: '/cal/', token: await reportToken() });
    await put(`${origin}/cal/a.ics`, 'x');
    await client.waitFor(() => client.changes().length === 2);
    const token = await reportToken();
    expect(client.changes()[1]).toEqual({ collection: '/cal/', token });
    expect(client.events.filter((e) => e.event === 'change').at(-1)?.id).toBe(token);
    // A change outside the collection sends nothing.
    await put(`${origin}/elsewhere.txt`, 'x');
    await put(`${origin}/cal/b.ics`, 'x'); // the marker
    await client.waitFor(() => client.changes().length === 3);
    expect(client.changes()[2]!.token).toBe(await reportToken());
  });

  it('depth 1 (default) ignores changes in subcollections; depth=infinity sees them; a bad depth is 400', async () => {
    await start();
    await mkcol(`${origin}/cal/sub`);
    const shallow = await EventClient.open('/cal/');
    const deep = await EventClient.open('/cal/?depth=infinity');
    await shallow.waitFor(() => shallow.changes().length === 1);
    await deep.waitFor(() => deep.changes().length === 1);
    await put(`${origin}/cal/sub/x.ics`, 'x');
    await deep.waitFor(() => deep.changes().length === 2);
    await put(`${origin}/cal/marker.ics`, 'x');
    await shallow.waitFor(() => shallow.changes().length === 2);
    await deep.waitFor(() => deep.changes().length === 3);
    expect(shallow.changes()).toHaveLength(2);
    const bad = await EventClient.open('/cal/?depth=0');
    expect(bad.res.statusCode).toBe(400);
  });

  it('sends heartbeat comments', async () => {
    await start({}, { heartbeatMs: 50 });
    const client = await EventClient.open('/cal/');
    await client.waitFor(() => client.events.filter((e) => e.comment === 'heartbeat').length >= 2);
  });

  it('caps open streams per user with 429 and Retry-After; a closed one frees its place', async () => {
    await start({}, { maxPerUser: 2 });
    const a = await EventClient.open('/cal/');
    await EventClient.open('/cal/');
    const third = await EventClient.open('/cal/');
    expect(third.res.statusCode).toBe(429);
    expect(third.res.headers['retry-after']).toBe('30');
    a.close();
    const deadline = Date.now() + 3000;
    while (middleware.changeStreams!.size !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await EventClient.open('/cal/')).res.statusCode).toBe(200);
  });

  it('needs sync access like a REPORT, and ends when the access goes', async () => {
    const allowed = new Set(['alice']);
    await start({ user: (req) => req.headers['x-user'] as string | undefined, authorize: ({ user, action }) => action !== 'sync' || allowed.has(user ?? '') });
    const bob = await EventClient.open('/cal/', { 'x-user': 'bob' });
    expect(bob.res.statusCode).toBe(403);
    const alice = await EventClient.open('/cal/', { 'x-user': 'alice' });
    await alice.waitFor(() => alice.changes().length === 1);
    allowed.delete('alice');
    await put(`${origin}/cal/a.ics`, 'x');
    await alice.waitFor(() => alice.ended);
    expect(alice.changes()).toHaveLength(1);
  });

  it('Push-Dont-Notify: * spares the stream', async () => {
    await start();
    const client = await EventClient.open('/cal/');
    await client.waitFor(() => client.changes().length === 1);
    await dav(`${origin}/cal/quiet.ics`, 'PUT', { headers: { 'push-dont-notify': '*' }, body: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.changes()).toHaveLength(1);
    await put(`${origin}/cal/loud.ics`, 'x');
    await client.waitFor(() => client.changes().length === 2);
  });

  it('close() ends every open stream cleanly, and a file or a missing collection is no stream', async () => {
    await start();
    const client = await EventClient.open('/cal/');
    await client.waitFor(() => client.changes().length === 1);
    middleware.changeStreams!.close();
    await client.waitFor(() => client.ended);
    await put(`${origin}/cal/a.ics`, 'x');
    expect((await EventClient.open('/cal/a.ics')).res.statusCode).toBe(400);
    expect((await EventClient.open('/nothing/')).res.statusCode).toBe(404);
    // Without Accept: text/event-stream, GET is the ordinary GET.
    expect((await dav(`${origin}/cal/a.ics`, 'GET')).text).toBe('x');
  });
});
