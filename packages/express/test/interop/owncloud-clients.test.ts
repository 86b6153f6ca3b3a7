/**
 * Real clients of the ownCloud dialect against davsync, on the store the run
 * asks for (DAVSYNC_TEST_STORE: memory, fs or postgres) — the proofs of
 * issue 17 and of docs/clients.md:
 *
 * - rclone (webdav backend, `vendor = owncloud`): `sync` keeps modification
 *   times (`lsl` equal on both sides, and a second `sync` copies nothing),
 *   and so do its server-side `copyto` and `moveto`,
 *   and `bisync` works with its default comparison, after `--resync`,
 *   through a run with edits, adds and deletes on both sides;
 * - lftp: `mirror -R` keeps times (it sends X-OC-Mtime), and `mirror` back;
 * - cadaver: put and get still work.
 *
 * Each client runs with a temporary config and working directory and a
 * bounded timeout. Without the programs the tests are skipped, except under
 * CI, where they fail (CI installs them).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { dav, mkcol } from '../support/dav';

const inCI = Boolean(process.env['CI']);
const TIMEOUT_MS = 60_000;
const which = (name: string): boolean => ['/usr/bin', '/usr/local/bin', '/bin'].some((dir) => existsSync(join(dir, name)));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client to its end (or kills it after TIMEOUT_MS); never rejects, so a failure shows its output. */
function run(command: string, args: readonly string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, ...options.env }, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', cwd: options.cwd, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** `rclone lsl` lines as `size date hh:mm:ss path`, sorted: times to the second, rclone's precision for this vendor. */
function lslBySecond(out: string): string[] {
  return out
    .split('\n')
    .map((l) => /^\s*(\d+) (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`)
    .sort();
}

/** Writes a file and gives it a modification time (Unix seconds, may be fractional). */
function file(path: string, content: string, mtime: number): void {
  writeFileSync(path, content);
  utimesSync(path, mtime, mtime);
}

let server: TestServer;
let work: string;
beforeAll(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'davsync-clients-'));
});
afterAll(async () => {
  await server?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const rcloneInstalled = which('rclone');
(rcloneInstalled || inCI ? describe : describe.skip)('rclone, webdav backend with vendor = owncloud', () => {
  let n = 0;
  /** rclone against remote `dav:` (this server), with an empty temporary config file. */
  const rclone = (...args: string[]): Promise<Run> => {
    const config = join(work, `rclone-${++n}.conf`);
    writeFileSync(config, '');
    return run('rclone', ['--config', config, '--contimeout', '10s', '--timeout', '30s', '--retries', '1', ...args], {
      env: { TZ: 'UTC', RCLONE_CONFIG_DAV_TYPE: 'webdav', RCLONE_CONFIG_DAV_URL: `${server.url}/`, RCLONE_CONFIG_DAV_VENDOR: 'owncloud' },
    });
  };
  const lsl = async (target: string): Promise<string[]> => {
    const r = await rclone('lsl', target);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return lslBySecond(r.stdout);
  };

  it('sync keeps modification times: lsl equal on both sides, and a second sync copies nothing', async () => {
    const local = join(work, 'sync-src');
    mkdirSync(join(local, 'sub', 'deeper'), { recursive: true });
    file(join(local, 'a.txt'), 'alpha', 1_500_000_000);
    file(join(local, 'sub', 'b.bin'), 'b'.repeat(70_000), 1_234_567_890.75);
    file(join(local, 'sub', 'deeper', 'c.txt'), 'gamma', 946_684_799);
    file(join(local, 'empty'), '', 1_000_000_000);
    const first = await rclone('sync', local, 'dav:sync', '-v');
    expect({ code: first.code, log: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, log: '' });
    const remote = await lsl('dav:sync');
    expect(remote).toEqual(await lsl(local));
    expect(remote).toContain('5 2017-07-14 02:40:00 a.txt');
    const second = await rclone('sync', local, 'dav:sync', '-v');
    expect(second.code).toBe(0);
    // Had a time been lost, rclone would have uploaded the file again ("Copied (replaced existing)").
    expect(second.stderr).not.toMatch(/Copied|Updated/);
    // Server-side copy and move (COPY and MOVE with X-OC-Mtime) keep the time too.
    expect((await rclone('copyto', 'dav:sync/a.txt', 'dav:sync/a-copy.txt')).code).toBe(0);
    expect((await rclone('moveto', 'dav:sync/sub/deeper/c.txt', 'dav:sync/c-moved.txt')).code).toBe(0);
    const after = await lsl('dav:sync');
    expect(after).toContain('5 2017-07-14 02:40:00 a-copy.txt');
    expect(after).toContain('5 1999-12-31 23:59:59 c-moved.txt');
  }, 120_000);

  it('bisync: --resync, then edits, adds and deletes on both sides, then a run that finds nothing', async () => {
    const local = join(work, 'bisync-local');
    const workdir = join(work, 'bisync-workdir');
    mkdirSync(join(local, 'sub'), { recursive: true });
    for (const name of ['one.txt', 'two.txt', 'four.txt', 'sub/three.txt', 'sub/five.txt']) file(join(local, name), `${name} v1`, 1_600_000_000);
    expect((await rclone('mkdir', 'dav:bi')).code).toBe(0);
    const resync = await rclone('bisync', local, 'dav:bi', '--resync', '--workdir', workdir, '-v');
    expect({ code: resync.code, log: resync.code === 0 ? '' : resync.stderr }).toEqual({ code: 0, log: '' });

    // Path1 (local): an edit, an add, a delete.
    const now = Math.floor(Date.now() / 1000);
    file(join(local, 'one.txt'), 'one edited locally', now - 60);
    file(join(local, 'new-local.txt'), 'added locally', now - 50);
    rmSync(join(local, 'four.txt'));
    // Path2 (davsync), as another ownCloud client would: an edit, an add, a delete.
    const base = `${server.url}/bi`;
    expect((await dav(`${base}/two.txt`, 'PUT', { headers: { 'x-oc-mtime': String(now - 40) }, body: 'two edited remotely' })).status).toBe(204);
    expect((await dav(`${base}/new-remote.txt`, 'PUT', { headers: { 'x-oc-mtime': String(now - 30) }, body: 'added remotely' })).status).toBe(201);
    expect((await dav(`${base}/sub/three.txt`, 'DELETE')).status).toBe(204);

    const second = await rclone('bisync', local, 'dav:bi', '--workdir', workdir, '-v');
    expect({ code: second.code, log: second.code === 0 ? '' : second.stderr }).toEqual({ code: 0, log: '' });
    expect(second.stderr).toMatch(/Bisync successful/);
    const both = await lsl(local);
    expect(await lsl('dav:bi')).toEqual(both);
    expect(both.map((l) => l.split(' ').slice(3).join(' ')).sort()).toEqual(['new-local.txt', 'new-remote.txt', 'one.txt', 'sub/five.txt', 'two.txt']);
    expect(readFileSync(join(local, 'two.txt'), 'utf8')).toBe('two edited remotely');
    expect(readFileSync(join(local, 'new-remote.txt'), 'utf8')).toBe('added remotely');
    expect((await dav(`${base}/one.txt`, 'GET')).text).toBe('one edited locally');
    expect((await dav(`${base}/four.txt`, 'GET')).status).toBe(404);

    const third = await rclone('bisync', local, 'dav:bi', '--workdir', workdir, '-v');
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/No changes found/);
  }, 180_000);
});

const lftpInstalled = which('lftp');
(lftpInstalled || inCI ? describe : describe.skip)('lftp over http', () => {
  const lftp = (commands: string): Promise<Run> =>
    run('lftp', ['-c', `set net:max-retries 1; set net:timeout 10; set cmd:fail-exit yes; open ${server.url}/; ${commands}`], {
      env: { HOME: work },
    });

  it('mirror -R keeps modification times (lftp sends X-OC-Mtime), and mirror brings them back', async () => {
    const local = join(work, 'lftp-src');
    mkdirSync(join(local, 'd'), { recursive: true });
    file(join(local, 'x.txt'), 'x', 1_520_139_967);
    file(join(local, 'd', 'y.txt'), 'why', 1_111_111_111);
    const up = await lftp(`mirror -R ${local} lftp`);
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: '' });
    const modified = async (path: string): Promise<string | null> => (await dav(`${server.url}/lftp/${path}`, 'HEAD')).headers.get('last-modified');
    expect(await modified('x.txt')).toBe(new Date(1_520_139_967_000).toUTCString());
    expect(await modified('d/y.txt')).toBe(new Date(1_111_111_111_000).toUTCString());
    const back = join(work, 'lftp-back');
    const down = await lftp(`mirror lftp ${back}`);
    expect({ code: down.code, stderr: down.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(join(back, 'd', 'y.txt'), 'utf8')).toBe('why');
    expect(statSync(join(back, 'x.txt')).mtimeMs).toBe(1_520_139_967_000);
    expect(statSync(join(back, 'd', 'y.txt')).mtimeMs).toBe(1_111_111_111_000);
  }, 120_000);
});

const cadaverInstalled = which('cadaver');
(cadaverInstalled || inCI ? describe : describe.skip)('cadaver', () => {
  it('still puts and gets a file', async () => {
    await mkcol(`${server.url}/cadaver/`);
    const src = join(work, 'cadaver-src.txt');
    const back = join(work, 'cadaver-back.txt');
    writeFileSync(src, 'through cadaver\n');
    const r = await run('cadaver', [`${server.url}/cadaver/`], { input: `put ${src} c.txt\nget c.txt ${back}\nquit\n`, env: { HOME: work } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Uploading .* succeeded/s);
    expect((await dav(`${server.url}/cadaver/c.txt`, 'GET')).text).toBe('through cadaver\n');
    expect(readFileSync(back, 'utf8')).toBe('through cadaver\n');
  }, 60_000);
});
