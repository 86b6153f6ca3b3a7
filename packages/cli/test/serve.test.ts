import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { readSyncResponse } from '@davsync/protocol';
import { cleanup, LISTENING, lines, run, runToEnd, startServe, syncBody, tempDir } from './support';

afterEach(cleanup);

const REQUEST_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ([A-Z]+) (\S+) (\d{3}|-) \d+\.\dms( aborted)?$/;

async function report(url: string, token = '', headers: Record<string, string> = {}) {
  return fetch(url, { method: 'REPORT', headers: { 'content-type': 'application/xml', ...headers }, body: syncBody(token) });
}

describe.each([
  ['fs', (dir: string) => [join(dir, 'data')]],
  ['memory', () => ['--memory']],
])('davsync serve (%s)', (kind, storeArgs) => {
  it('prints one listening line with the actual port, then serves PUT and a sync REPORT on /', async () => {
    const dir = await tempDir();
    const { proc, url, store } = await startServe(storeArgs(dir));
    expect(store).toBe(kind === 'fs' ? `fs: ${join(dir, 'data')}` : 'memory');
    expect(lines(proc.stdout())).toHaveLength(1);
    expect(proc.stderr()).toBe('');

    const put = await fetch(`${url}notes.txt`, { method: 'PUT', body: 'hello' });
    expect(put.status).toBe(201);
    const first = await report(url);
    expect(first.status).toBe(207);
    const sync = await readSyncResponse(await first.text());
    expect(sync.responses).toEqual([{ type: 'changed', href: '/notes.txt', status: 200, etag: put.headers.get('etag'), conditions: [] }]);

    await fetch(`${url}more.txt`, { method: 'PUT', body: 'more' });
    const delta = await readSyncResponse(await (await report(url, sync.token)).text());
    expect(delta.responses.map((r) => r.href)).toEqual(['/more.txt']);
    if (kind === 'fs') expect(await readFile(join(dir, 'data', 'notes.txt'), 'utf8')).toBe('hello');
  });
});

describe('davsync serve: the folder', () => {
  it('serves ./data by default, creating it', async () => {
    const cwd = await tempDir();
    const { proc, store, url } = await startServe([], { cwd });
    expect(store).toBe('fs: ./data');
    expect((await fetch(`${url}a.txt`, { method: 'PUT', body: 'a' })).status).toBe(201);
    expect(await readFile(join(cwd, 'data', 'a.txt'), 'utf8')).toBe('a');
    proc.child.kill('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  });

  it('a DIR that is a file: one line, exit 1', async () => {
    const file = join(await tempDir(), 'file');
    await writeFile(file, 'x');
    const r = await runToEnd(['serve', file, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`davsync: cannot serve ${file}: not a directory\n`);
    expect(r.stdout).toBe('');
    const under = await runToEnd(['serve', join(file, 'sub'), '--port', '0']);
    expect(under.code).toBe(1);
    expect(under.stderr).toBe(`davsync: cannot serve ${join(file, 'sub')}: not a directory\n`);
  });

  const unprivileged = typeof process.getuid === 'function' && process.getuid() !== 0;
  (unprivileged ? it : it.skip)('an unreadable DIR: one line, exit 1 (skipped as root, who can read anything)', async () => {
    const dir = join(await tempDir(), 'locked');
    await mkdir(dir, { mode: 0o000 });
    const r = await runToEnd(['serve', dir, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`davsync: cannot serve ${dir}: permission denied\n`);
  });

  it('a folder another davsync serves: one line naming the process, exit 1', async () => {
    const dir = await tempDir();
    const first = await startServe([dir]);
    const r = await runToEnd(['serve', dir, '--port', '0']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^davsync: cannot serve ${dir}: .* is in use by process ${first.proc.child.pid}$`))]);
  });
});

describe('davsync serve: the start-up reconcile', () => {
  it('changes made while it was stopped are in the first answer, even to a request sent the moment the ready line is out', async () => {
    // The folder is reconciled with its journal after the ready line (a stat
    // per file: the slow part of a start); requests must wait for it. With
    // 3 000 files it is still running when this first request arrives.
    const dir = await tempDir();
    for (let i = 0; i < 3000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => writeFile(join(dir, `m${i + j}.txt`), 'x')));
    const first = await startServe([dir]);
    const token = (await readSyncResponse(await (await report(first.url)).text())).token;
    first.proc.child.kill('SIGTERM');
    expect(await first.proc.waitExit()).toEqual({ code: 0, signal: null });

    await writeFile(join(dir, 'm0.txt'), 'changed while stopped');
    await rm(join(dir, 'm1.txt'));
    await writeFile(join(dir, 'new.txt'), 'new');
    const second = await startServe([dir]);
    const delta = await readSyncResponse(await (await report(second.url, token)).text());
    expect(delta.responses.map((r) => `${r.type} ${r.href}`).sort()).toEqual(['changed /m0.txt', 'changed /new.txt', 'removed /m1.txt']);
    // And a write conditional on the old token is refused: something changed since.
    const put = await fetch(`${second.url}m2.txt`, { method: 'PUT', body: 'y', headers: { if: `(<${token}>)` } });
    expect(put.status).toBe(412);
  });
});

describe('davsync serve: shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit 0, the lock released, and the folder can be served again with its journal', async (signal) => {
    const dir = await tempDir();
    const first = await startServe([dir]);
    await fetch(`${first.url}kept.txt`, { method: 'PUT', body: 'kept' });
    const token = (await readSyncResponse(await (await report(first.url)).text())).token;
    expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(true);

    first.proc.child.kill(signal);
    expect(await first.proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(first.proc.stderr()).toBe('');
    expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(false);

    const second = await startServe([dir]);
    // Same journal: the old token is still valid and nothing changed since.
    const delta = await readSyncResponse(await (await report(second.url, token)).text());
    expect(delta.responses).toEqual([]);
    expect(await (await fetch(`${second.url}kept.txt`)).text()).toBe('kept');
  });

  it('lets a request in flight finish, refuses new connections, then exits 0', async () => {
    const dir = await tempDir();
    const { proc, url, port } = await startServe([dir]);
    const { hostname } = new URL(url);
    // A PUT whose body is still arriving when the signal comes.
    const put = request({ host: hostname, port, method: 'PUT', path: '/slow.txt', headers: { 'transfer-encoding': 'chunked' } });
    const answered = new Promise<number>((resolve, reject) => {
      put.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      put.on('error', reject);
    });
    put.write('first half, ');
    await new Promise((r) => setTimeout(r, 200)); // the server has the request
    proc.child.kill('SIGTERM');
    await proc.waitFor(/shutting down/);
    await expect(fetch(`${url}new.txt`)).rejects.toThrow();
    put.end('second half');
    expect(await answered).toBe(201);
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(await readFile(join(dir, 'slow.txt'), 'utf8')).toBe('first half, second half');
  });
});

describe('davsync serve: the request log', () => {
  it('logs one line per request on stdout: time, method, path, status, duration', async () => {
    const dir = await tempDir();
    const { proc, url } = await startServe([dir]);
    await fetch(`${url}a%20b.txt`, { method: 'PUT', body: 'x' });
    await (await fetch(`${url}a%20b.txt`)).text();
    await (await fetch(`${url}missing`)).text();
    await (await report(url)).text();
    await proc.waitFor(/REPORT/);
    const log = lines(proc.stdout()).slice(1);
    expect(log).toHaveLength(4);
    expect(log.map((l) => REQUEST_LINE.exec(l)?.slice(1, 4))).toEqual([
      ['PUT', '/a%20b.txt', '201'],
      ['GET', '/a%20b.txt', '200'],
      ['GET', '/missing', '404'],
      ['REPORT', '/', '207'],
    ]);
  });

  it('--log-level warn: the listening line and no request lines', async () => {
    const dir = await tempDir();
    const { proc, url } = await startServe([dir, '--log-level', 'warn']);
    await fetch(`${url}a.txt`, { method: 'PUT', body: 'x' });
    await (await fetch(`${url}a.txt`)).text();
    proc.child.kill('SIGTERM');
    await proc.waitExit();
    expect(lines(proc.stdout())).toEqual([expect.stringMatching(LISTENING)]);
    expect(proc.stderr()).toBe('');
  });
});

describe('davsync serve: Basic authentication', () => {
  const PASSWORD = 'pa:ss w0rd-é';
  const BASIC = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;

  async function checkAuth(url: string) {
    const anonymous = await fetch(`${url}a.txt`, { method: 'PUT', body: 'x' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="davsync"');
    const wrong = await fetch(url, { method: 'PROPFIND', headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}`, depth: '0' } });
    expect(wrong.status).toBe(401);
    const otherUser = await fetch(url, { method: 'PROPFIND', headers: { authorization: `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}`, depth: '0' } });
    expect(otherUser.status).toBe(401);
    expect((await fetch(`${url}a.txt`, { method: 'PUT', body: 'x', headers: { authorization: BASIC } })).status).toBe(201);
    expect((await fetch(`${url}a.txt`, { headers: { authorization: BASIC } })).status).toBe(200);
    expect((await report(url, '', { authorization: BASIC })).status).toBe(207);
  }

  it('--user: 401 with the challenge without or with wrong credentials, 2xx with them; never logged', async () => {
    const dir = await tempDir();
    const { proc, url } = await startServe([dir, '--user', `alice:${PASSWORD}`, '--log-level', 'debug']);
    await checkAuth(url);
    proc.child.kill('SIGTERM');
    await proc.waitExit();
    const output = proc.stdout() + proc.stderr();
    expect(output).toMatch(/PUT \/a\.txt 401 /);
    expect(output).toMatch(/PUT \/a\.txt 201 /);
    for (const secret of [PASSWORD, 'pa:ss', BASIC.slice(6), Buffer.from(`alice:${PASSWORD}`).toString('base64url')]) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/warning/);
  });

  it('DAVSYNC_USER and DAVSYNC_PASSWORD', async () => {
    const dir = await tempDir();
    const { url } = await startServe([dir], { env: { DAVSYNC_USER: 'alice', DAVSYNC_PASSWORD: PASSWORD } });
    await checkAuth(url);
  });
});

describe('davsync serve: bad command lines and start-up failures', () => {
  function oneLine(r: { stderr: string }) {
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^davsync: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }

  it.each([
    [['serve', '--bogus'], /unknown option '--bogus'/],
    [['serve', '--port', 'eighty'], /--port must be a whole number from 0 to 65535, not "eighty"/],
    [['serve', '--port', '70000'], /--port must be/],
    [['serve', '--page-size', '0'], /--page-size must be a positive whole number/],
    [['serve', '--log-level', 'loud'], /--log-level must be one of silent, error, warn, info, debug/],
    [['serve', 'a', 'b'], /serve takes one folder/],
    [['serve', 'dir', '--memory'], /give DIR or --memory, not both/],
    [['serve', '--user', 'alice'], /--user must be NAME:PASSWORD/],
    [['serve', '--port'], /argument missing/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /missing command/],
  ])('%j: one line, exit 2', async (args, message) => {
    const r = await runToEnd(args);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('only one of DAVSYNC_USER / DAVSYNC_PASSWORD: exit 2', async () => {
    const r = await runToEnd(['serve', '--memory'], { env: { DAVSYNC_USER: 'alice' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^davsync: set both DAVSYNC_USER and DAVSYNC_PASSWORD, or neither/);
  });

  describe('a port in use', () => {
    let blocker: Server | undefined;
    afterEach(async () => {
      await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
      blocker = undefined;
    });

    it('one line, exit 1, and the folder is not left locked', async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as { port: number };
      const dir = await tempDir();
      const r = await runToEnd(['serve', dir, '--port', String(port)]);
      expect(r.code).toBe(1);
      oneLine(r);
      expect(r.stderr).toBe(`davsync: cannot listen on 127.0.0.1:${port}: address already in use\n`);
      expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(false);
    });
  });
});

describe('davsync --help and --version', () => {
  it.each([
    [['--help'], /^Usage: davsync <command>/],
    [['help'], /^Usage: davsync <command>/],
    [['serve', '--help'], /^Usage: davsync serve \[DIR\]/],
    [['help', 'serve'], /^Usage: davsync serve \[DIR\]/],
    [['changes', '-h'], /^Usage: davsync changes URL/],
  ])('%j prints help on stdout, exit 0', async (args, head) => {
    const r = await runToEnd(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(head);
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const r = await runToEnd(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `davsync ${version}\n`, stderr: '' });
  });
});

it('a repeated flag: the last one wins (parseArgs), so a script can override a default port', async () => {
  const dir = await tempDir();
  const p = run(['serve', dir, '--port', '8080', '--port', '0']);
  const m = await p.waitFor(LISTENING);
  expect(Number(m[2])).not.toBe(8080);
});
