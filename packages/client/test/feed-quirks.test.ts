/**
 * Change-feed quirks of real servers, each played by a small scripted
 * server (node:http on 127.0.0.1) that answers REPORTs from a list of
 * members: paging by 507 for the collection itself (sabre/dav, Nextcloud),
 * a long answer cut without any 507, and a server that refuses the token it
 * just handed out. (The collection listed as its own member and a refused
 * token "0" are in remote-feed.test.ts.)
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CHECK_ANSWERS_OF, RemoteCollection, type FeedItem, type RemoteChange } from '../src/index';

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A server whose REPORT answers come from `answer(token sent, or undefined)`; it records the tokens it was sent. */
async function scripted(answer: (token: string | undefined) => Answer): Promise<{ url: string; tokens: (string | undefined)[] }> {
  const tokens: (string | undefined)[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += String(d)));
    req.on('end', () => {
      if (req.method !== 'REPORT') return void res.writeHead(405).end();
      const token = /<D:sync-token>([^<]*)<\/D:sync-token>/.exec(body)?.[1];
      tokens.push(token);
      const a = answer(token);
      res.writeHead(a.status, { 'content-type': 'application/xml; charset=utf-8' }).end(a.body);
    });
  });
  open.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/cal/`, tokens };
}

const ms = (inner: string, token: string) => `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">${inner}<D:sync-token>${token}</D:sync-token></D:multistatus>`;
const member = (name: string) =>
  `<D:response><D:href>/cal/${name}</D:href><D:propstat><D:prop><D:getetag>"${name}"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`;
const truncatedHere = '<D:response><D:href>/cal/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response>';
const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}.ics`);

async function drain(feed: AsyncIterable<FeedItem>): Promise<{ changes: RemoteChange[]; end: Extract<FeedItem, { kind: 'end' }> }> {
  const changes: RemoteChange[] = [];
  for await (const item of feed) {
    if (item.kind === 'end') return { changes, end: item };
    changes.push(...item.changes);
  }
  throw new Error('the feed ended without an end item');
}
const changedPaths = (changes: RemoteChange[]) => changes.map((c) => (c.type === 'changed' ? c.entry.path : `-${c.path}`)).sort();

describe('change feed against servers that page their answers', () => {
  it('follows a 507 for the collection itself, page by page, with the token each page gives', async () => {
    const pages: Record<string, Answer> = {
      none: { status: 207, body: ms(names(0, 300).map(member).join('') + truncatedHere, 'p1') },
      p1: { status: 207, body: ms(names(300, 600).map(member).join('') + truncatedHere, 'p2') },
      p2: { status: 207, body: ms(names(600, 650).map(member).join(''), 'p3') },
    };
    const { url, tokens } = await scripted((t) => pages[t ?? 'none'] ?? { status: 500, body: '' });
    const { changes, end } = await drain(new RemoteCollection({ url }).changes());
    expect(changedPaths(changes)).toEqual(names(0, 650).sort());
    expect(end.cursor).toEqual({ mode: 'sync', scopes: { '': { level: 'infinite', token: 'p3' } } });
    expect(end.full).toEqual([{ path: '', recursive: true }]);
    expect(tokens).toEqual([undefined, 'p1', 'p2']);
  });

  it('asks again after a long answer without 507: a server that cuts silently still gives all members', async () => {
    // Cut at 200 without saying so; the token continues where the answer stopped.
    const all = names(0, 450);
    const at: Record<string, number> = { none: 0, c1: 200, c2: 400, c3: 450 };
    const { url, tokens } = await scripted((t) => {
      const from = at[t ?? 'none'];
      if (from === undefined) return { status: 500, body: '' };
      const to = Math.min(from + 200, all.length);
      return { status: 207, body: ms(all.slice(from, to).map(member).join(''), to === 200 ? 'c1' : to === 400 ? 'c2' : 'c3') };
    });
    const { changes, end } = await drain(new RemoteCollection({ url }).changes());
    expect(changedPaths(changes)).toEqual([...all].sort());
    expect(end.cursor).toEqual({ mode: 'sync', scopes: { '': { level: 'infinite', token: 'c3' } } });
    // 200 and 200 were checked; 50 (< CHECK_ANSWERS_OF) ended the scope.
    expect(tokens).toEqual([undefined, 'c1', 'c2']);
    expect(CHECK_ANSWERS_OF).toBeLessThanOrEqual(200);
  });

  it('a complete long answer costs one more, empty, REPORT; a short one none', async () => {
    const { url, tokens } = await scripted((t) => (t === undefined ? { status: 207, body: ms(names(0, 150).map(member).join(''), 's1') } : { status: 207, body: ms('', t) }));
    const remote = new RemoteCollection({ url });
    const first = await drain(remote.changes());
    expect(first.changes).toHaveLength(150);
    expect(tokens).toEqual([undefined, 's1']);
    const second = await drain(remote.changes(first.end.cursor));
    expect(second.changes).toEqual([]);
    expect(second.end.tokenRefused).toBe(false);
    expect(tokens).toEqual([undefined, 's1', 's1']);
  });

  it('a check refused by the server (a token it hands out but does not take back) keeps the long answer as complete', async () => {
    const refused = '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>';
    const { url, tokens } = await scripted((t) => (t === undefined ? { status: 207, body: ms(names(0, 120).map(member).join(''), 'once') } : { status: 403, body: refused }));
    const { changes, end } = await drain(new RemoteCollection({ url }).changes());
    expect(changedPaths(changes)).toEqual(names(0, 120).sort());
    expect(end.tokenRefused).toBe(false);
    expect(end.cursor).toEqual({ mode: 'sync', scopes: { '': { level: 'infinite', token: 'once' } } });
    expect(tokens).toEqual([undefined, 'once']);
  });

  it('a server that keeps answering 507 without progress is stopped with one clear error, not looped on', async () => {
    const { url, tokens } = await scripted(() => ({ status: 207, body: ms(truncatedHere, 'stuck') }));
    const remote = new RemoteCollection({ url });
    const err = await drain(remote.changes({ mode: 'sync', scopes: { '': { level: 'infinite', token: 'stuck' } } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'protocol', message: expect.stringContaining('truncated answers that make no progress') });
    expect(tokens).toEqual(['stuck']);
  });
});
