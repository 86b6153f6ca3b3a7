import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cleanup, closedPort, lines, runToEnd, startServe, tempDir } from './support';

afterEach(cleanup);

interface Row {
  type: string;
  href: string;
  etag: string;
}

/** Reads the command's output back: rows, token, truncated. */
function parseOutput(stdout: string): { rows: Row[]; token: string; truncated: boolean } {
  const all = lines(stdout);
  const tokenLine = all.find((l) => l.startsWith('sync-token: '));
  const truncatedLine = all.find((l) => l.startsWith('truncated: '));
  expect(tokenLine).toBeDefined();
  expect(truncatedLine).toBeDefined();
  const table = all.slice(0, all.indexOf(tokenLine!));
  let rows: Row[] = [];
  if (table[0] !== 'no changes') {
    expect(table[0]).toMatch(/^TYPE\s+HREF\s+ETAG$/);
    rows = table.slice(1).map((l) => {
      const [type = '', href = '', etag = ''] = l.split(/\s+/);
      return { type, href, etag };
    });
  }
  return { rows, token: tokenLine!.slice('sync-token: '.length), truncated: truncatedLine!.startsWith('truncated: yes') };
}

async function changes(args: string[], env?: Record<string, string>) {
  const r = await runToEnd(['changes', ...args], env === undefined ? {} : { env });
  return r;
}

async function ok(args: string[], env?: Record<string, string>) {
  const r = await changes(args, env);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return parseOutput(r.stdout);
}

/** One line on stderr, exit 1 (or 2), nothing on stdout. */
async function fails(args: string[], code = 1, env?: Record<string, string>) {
  const r = await changes(args, env);
  expect(r.code).toBe(code);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(/^davsync: /);
  expect(r.stdout).toBe('');
  return r.stderr.trimEnd();
}

const put = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'PUT', body, headers });

describe('davsync changes', () => {
  it('initial sync, then only what changed since the token', async () => {
    const { url } = await startServe(['--memory']);
    const a = await put(`${url}a.txt`, 'a');
    await put(`${url}b.txt`, 'b');

    const initial = await ok([url]);
    expect(initial.rows.map((r) => [r.type, r.href]).sort()).toEqual([
      ['changed', '/a.txt'],
      ['changed', '/b.txt'],
    ]);
    expect(initial.rows.find((r) => r.href === '/a.txt')?.etag).toBe(a.headers.get('etag'));
    expect(initial.token).toMatch(/^urn:x-davsync:sync:/);
    expect(initial.truncated).toBe(false);

    const c = await put(`${url}c.txt`, 'c');
    await fetch(`${url}a.txt`, { method: 'DELETE' });
    const delta = await ok([url, '--token', initial.token]);
    expect(delta.rows).toEqual([
      { type: 'changed', href: '/c.txt', etag: c.headers.get('etag') },
      { type: 'removed', href: '/a.txt', etag: '' },
    ]);
    expect(delta.token).not.toBe(initial.token);

    const none = await changes([url, '-t', delta.token]);
    expect(lines(none.stdout)[0]).toBe('no changes');
  });

  it('--limit: a truncated answer, and paging on with its token', async () => {
    const { url } = await startServe(['--memory']);
    for (const name of ['1', '2', '3']) await put(`${url}${name}.txt`, name);
    const first = await ok([url, '--limit', '2']);
    expect(first.rows).toHaveLength(2);
    expect(first.truncated).toBe(true);
    const rest = await ok([url, '--token', first.token]);
    expect(rest.truncated).toBe(false);
    expect([...first.rows, ...rest.rows].map((r) => r.href).sort()).toEqual(['/1.txt', '/2.txt', '/3.txt']);
  });

  it('a server page size truncates too', async () => {
    const { url } = await startServe(['--memory', '--page-size', '1']);
    await put(`${url}1.txt`, '1');
    await put(`${url}2.txt`, '2');
    const first = await ok([url]);
    expect(first.rows).toHaveLength(1);
    expect(first.truncated).toBe(true);
  });

  it('--level 1 shows a changed sub-collection; infinite shows its members', async () => {
    const dir = await tempDir();
    const { url } = await startServe([dir]);
    expect((await fetch(`${url}sub/`, { method: 'MKCOL' })).status).toBe(201);
    await put(`${url}sub/x.txt`, 'x');
    expect((await ok([url])).rows.map((r) => r.href)).toEqual(['/sub/']);
    expect((await ok([url, '--level', 'infinite'])).rows.map((r) => r.href).sort()).toEqual(['/sub/', '/sub/x.txt']);
  });

  it('a token the server refuses: says why when davsync says, and that a full sync is needed, exit 1', async () => {
    const { url } = await startServe(['--memory']);
    // Another collection's (or an earlier incarnation's) token.
    expect(await fails([url, '--token', 'urn:x-davsync:sync:aaaaaaaaaaaaaaaa:1'])).toBe(
      'davsync: the server refused the sync token (403 valid-sync-token: the token belongs to another collection or an earlier incarnation of this one); run again without --token for a full sync',
    );
    // Never a token at all: not called "no longer valid".
    expect(await fails([url, '--token', 'garbage'])).toBe(
      'davsync: the server refused the sync token (403 valid-sync-token: not a token issued by this server); run again without --token for a full sync',
    );
  });

  it('a token another server refuses without saying why: both possibilities named, none asserted', async () => {
    const server = createServer((req, res) => {
      req.resume();
      const body = '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await fails([`http://127.0.0.1:${port}/`, '--token', 'garbage'])).toBe(
        'davsync: the server refused the sync token (403 valid-sync-token: not one of its tokens for this collection, or too old); run again without --token for a full sync',
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('shows names decoded in the table, and the hrefs as sent with --json', async () => {
    const { url } = await startServe(['--memory']);
    const put1 = await put(`${url}my%20notes%C3%A9.txt`, 'n');
    await put(`${url}a%0Ab.txt`, 'x'); // a newline in a name must not break the table's line
    const r = await changes([url]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const rows = lines(r.stdout).slice(1, 3).sort();
    expect(rows).toEqual([expect.stringMatching(/^changed {2}\/a%0Ab\.txt {6}"/), expect.stringMatching(/^changed {2}\/my notesé\.txt {2}"/)]);

    const json = await changes([url, '--json']);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const parsed = JSON.parse(json.stdout) as { token: string; truncated: boolean; responses: Array<{ href: string; etag: string | null }> };
    expect(parsed.token).toMatch(/^urn:x-davsync:sync:/);
    expect(parsed.truncated).toBe(false);
    expect(parsed.responses.map((x) => x.href).sort()).toEqual(['/a%0Ab.txt', '/my%20notes%C3%A9.txt']);
    expect(parsed.responses.find((x) => x.href.startsWith('/my'))?.etag).toBe(put1.headers.get('etag'));
  });

  it('connection refused: one line, exit 1', async () => {
    const port = await closedPort();
    expect(await fails([`http://127.0.0.1:${port}/`])).toBe(`davsync: cannot connect to http://127.0.0.1:${port}: connection refused`);
  });

  it('a status other than 207: one line with the status and the reason', async () => {
    const { url } = await startServe(['--memory']);
    expect(await fails([`${url}missing/`])).toMatch(new RegExp(`^davsync: REPORT ${url}missing/: 404 Not Found`));
  });

  it('a 403 other than valid-sync-token: the status and the reason', async () => {
    const { url } = await startServe(['--memory']);
    await put(`${url}a.txt`, 'a');
    // A sync REPORT on a member, not a collection: 403 supported-report.
    expect(await fails([`${url}a.txt`])).toMatch(new RegExp(`^davsync: REPORT ${url}a\\.txt: 403 Forbidden \\(.+\\)$`));
  });

  it('a 207 that is not a sync answer (no sync-token): one line', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(207, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/x</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response></D:multistatus>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await fails([`http://127.0.0.1:${port}/`])).toBe('davsync: not a sync-collection response: no DAV:sync-token');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  describe('with Basic authentication', () => {
    const env = { DAVSYNC_USER: 'alice', DAVSYNC_PASSWORD: 's3cret' };

    it('401 without credentials says how to give them; --user, the environment and user:pass@ in the URL work', async () => {
      const { url } = await startServe(['--memory'], { env });
      await put(`${url}a.txt`, 'a', { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` });
      expect(await fails([url])).toMatch(/401 Unauthorized \(give --user NAME:PASSWORD, or set DAVSYNC_USER and DAVSYNC_PASSWORD\)$/);
      expect(await fails([url, '--user', 'alice:wrong'])).toMatch(/401 Unauthorized \(wrong user name or password\)$/);
      expect((await ok([url, '--user', 'alice:s3cret'])).rows.map((r) => r.href)).toEqual(['/a.txt']);
      expect((await ok([url], env)).rows.map((r) => r.href)).toEqual(['/a.txt']);
      expect((await ok([url.replace('http://', 'http://alice:s3cret@')])).rows.map((r) => r.href)).toEqual(['/a.txt']);
    });
  });

  it.each([
    [[], /missing URL/],
    [['not a url'], /URL must be an absolute http:\/\/ or https:\/\/ URL/],
    [['ftp://example.com/'], /URL must be an absolute http/],
    [['http://127.0.0.1:1/', '--level', '2'], /--level must be 1 or infinite/],
    [['http://127.0.0.1:1/', '--limit', '0'], /--limit must be a whole number from 1 to/],
    [['http://127.0.0.1:1/', '--token', ''], /--token is empty/],
    [['http://127.0.0.1:1/', '--frob'], /unknown option '--frob'/],
  ])('%j: one line, exit 2', async (args, message) => {
    expect(await fails(args, 2)).toMatch(message);
  });
});
