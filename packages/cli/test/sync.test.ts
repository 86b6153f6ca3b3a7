/**
 * `davsync sync DIR URL`, the built binary against a davsync server (memory
 * store) in this process: the command line, `--once` exit codes, dry run,
 * JSON, a refusal as one line, and kill -9 in the middle of a pass.
 */
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parseCommandLine } from '../src/args';
import { UsageError } from '../src/errors';
import { RemoteCollection } from '@davsync/client';
import { startDavServer, type TestDavServer } from '../../client/test/support/davsync-server';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from '../../client/test/support/trees';
import { cleanup, run, runToEnd, tempDir } from './support';

let server: TestDavServer | undefined;

/** Polls `check` every 100 ms until it holds, or fails after `ms` (bounded). */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
afterEach(async () => {
  await cleanup();
  await server?.close();
  server = undefined;
});

describe('parseCommandLine: sync', () => {
  it('reads DIR, URL and the flags; credentials come out of the URL', () => {
    expect(parseCommandLine(['sync', 'dir', 'https://u:p@h/dav', '--once', '-n', '--max-delete', '20%', '--json'], {})).toEqual({
      command: 'sync',
      options: { dir: 'dir', url: 'https://h/dav', once: true, dryRun: true, json: true, maxDelete: 20, interval: 30, watch: true, credentials: { user: 'u', password: 'p' } },
    });
  });
  it('--transfers N sets the transfers at once', () => {
    expect(parseCommandLine(['sync', 'dir', 'http://h/', '--transfers', '8'], {})).toMatchObject({ command: 'sync', options: { transfers: 8 } });
    expect((parseCommandLine(['sync', 'dir', 'http://h/'], {}) as { options: object }).options).not.toHaveProperty('transfers');
  });
  it('--full-scan SECONDS sets how often a quiet watcher still scans (absent: the client default)', () => {
    expect(parseCommandLine(['sync', 'dir', 'http://h/', '--full-scan', '120'], {})).toMatchObject({ command: 'sync', options: { fullScan: 120 } });
    expect((parseCommandLine(['sync', 'dir', 'http://h/'], {}) as { options: object }).options).not.toHaveProperty('fullScan');
  });
  it.each([
    [['sync', 'dir', 'http://h/', '--transfers', '0'], '--transfers must be a whole number from 1 to 64, not "0" (see davsync sync --help)'],
    [['sync', 'dir', 'http://h/', '--transfers', 'many'], '--transfers must be a whole number from 1 to 64, not "many" (see davsync sync --help)'],
    [['sync', 'dir'], 'missing URL (see davsync sync --help)'],
    [['sync', 'dir', 'ftp://h/'], 'URL must be an absolute http:// or https:// URL (see davsync sync --help)'],
    [['sync', 'dir', 'http://h/', '--full-scan', '0'], '--full-scan must be a whole number from 1 to 86400, not "0" (see davsync sync --help)'],
    [['sync', 'dir', 'http://h/', '--max-delete', '150'], '--max-delete must be a whole number from 0 to 100, not "150" (see davsync sync --help)'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(new UsageError(message));
  });
});

describe('davsync sync (the binary)', () => {
  it('--once syncs both ways and exits 0 with one summary line per pass; a second run has nothing to do', async () => {
    server = await startDavServer();
    const remote = new RemoteCollection({ url: server.url });
    const dir = await tempDir();
    await writeLocal(dir, 'here.txt', 'local');
    await putRemote(remote, dir, 'there.txt', 'remote');
    const first = await runToEnd(['sync', dir, server.url, '--once']);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toBe('pass 1: 1 downloaded, 1 uploaded\npass 2: nothing to do; in sync\n');
    expect(first.stderr).toBe('upload here.txt\ndownload there.txt\n');
    expect(sorted(await localFiles(dir))).toEqual({ 'here.txt': 'local', 'there.txt': 'remote' });
    const again = await runToEnd(['sync', dir, server.url, '--once']);
    expect(again).toMatchObject({ code: 0, stdout: 'pass 1: nothing to do; in sync\n', stderr: '' });
  });

  it('--dry-run prints the plan and changes nothing; --json is one document per pass', async () => {
    server = await startDavServer();
    const dir = await tempDir();
    await writeLocal(dir, 'a.txt', 'a');
    const dry = await runToEnd(['sync', dir, server.url, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: 'would upload a.txt\ndry run: 1 uploaded; nothing was changed\n' });
    expect(await remoteFiles(new RemoteCollection({ url: server.url }), dir)).toEqual({});
    const json = await runToEnd(['sync', dir, server.url, '--once', '--json']);
    const passes = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pass: number; agreed: boolean; actions: { type: string; path: string; outcome: string }[] });
    expect(passes.map((p) => [p.pass, p.agreed])).toEqual([[1, false], [2, true]]);
    expect(passes[0]!.actions).toEqual([{ type: 'upload', path: 'a.txt', outcome: 'done' }]);
  });

  it('without --once it keeps passing, picks up a later change, and stops with exit 0 on SIGTERM', async () => {
    server = await startDavServer();
    const remote = new RemoteCollection({ url: server.url });
    const dir = await tempDir();
    const proc = run(['sync', dir, server.url, '--interval', '1']);
    await proc.waitFor(/^pass 1: nothing to do; in sync$/m);
    await putRemote(remote, dir, 'later.txt', 'arrived');
    await proc.waitFor(/^pass \d+: 1 downloaded$/m);
    expect(await readFile(join(dir, 'later.txt'), 'utf8')).toBe('arrived');
    proc.child.kill('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  });

  it('continuous mode: a local write reaches the server by watching, a remote one arrives by the change stream (interval 600: no poll can explain either)', async () => {
    server = await startDavServer({ changeStream: {} });
    const remote = new RemoteCollection({ url: server.url });
    const scratch = await tempDir();
    const dir = await tempDir();
    const proc = run(['sync', dir, server.url, '--interval', '600']);
    await proc.waitFor(/listening to the server's change stream/, 'stderr');
    // The stream's first event (the current token) asks for a pass of its own: after it, nothing is pending.
    await proc.waitFor(/^pass 2: nothing to do; in sync$/m);

    await writeLocal(dir, 'sub/written-here.txt', 'from the folder');
    await until(async () => (await remote.stat('sub/written-here.txt')) !== undefined);
    expect(sorted(await remoteFiles(remote, scratch))).toEqual({ sub: '/', 'sub/written-here.txt': 'from the folder' });

    await putRemote(remote, scratch, 'sub/put-there.txt', 'from another client');
    await until(async () => (await readFile(join(dir, 'sub', 'put-there.txt'), 'utf8').catch(() => '')) === 'from another client');
    proc.child.kill('SIGINT');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    expect(proc.stdout()).toMatch(/^pass \d+: 1 uploaded, 1 folder made$/m);
    expect(proc.stdout()).toMatch(/^pass \d+: 1 downloaded$/m);
  }, 40_000);

  it('continuous mode against a server without the change stream: it says so, and polls at --interval', async () => {
    server = await startDavServer();
    const remote = new RemoteCollection({ url: server.url });
    const scratch = await tempDir();
    const dir = await tempDir();
    const proc = run(['sync', dir, server.url, '--interval', '1']);
    await proc.waitFor(/the server has no change stream \(GET with Accept: text\/event-stream answered 200 text\/html.*\): polling every 1 s/, 'stderr');
    await putRemote(remote, scratch, 'polled.txt', 'found by polling');
    await until(async () => (await readFile(join(dir, 'polled.txt'), 'utf8').catch(() => '')) === 'found by polling');
    proc.child.kill('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('kill -9 in continuous mode, edits on both sides while it is down, a restart: both sides converge and nothing is lost', async () => {
    // GETs and PUTs are slowed, so the kill lands while a pass is under way.
    server = await startDavServer({ changeStream: {}, before: (req) => (req.method === 'GET' || req.method === 'PUT' ? new Promise((r) => setTimeout(r, 40)) : undefined) });
    const remote = new RemoteCollection({ url: server.url });
    const scratch = await tempDir();
    const dir = await tempDir();
    const expected: Record<string, string> = {};
    for (let i = 0; i < 10; i++) {
      await putRemote(remote, scratch, `r${i}.txt`, `remote ${i}`);
      await writeLocal(dir, `l${i}.txt`, `local ${i}`);
      expected[`r${i}.txt`] = `remote ${i}`;
      expected[`l${i}.txt`] = `local ${i}`;
    }
    const first = run(['sync', dir, server.url, '--interval', '600']);
    await first.waitFor(/^(upload|download) .*\n(.*\n){3}/m, 'stderr');
    first.child.kill('SIGKILL');
    expect((await first.waitExit()).signal).toBe('SIGKILL');
    // Killed inside the first pass, not after it.
    expect(first.stdout()).not.toMatch(/^pass 1:/m);

    // While it is down: an edit here, an edit there, a new file on each side.
    await writeLocal(dir, 'l0.txt', 'local 0, edited while down');
    await utimes(join(dir, 'l0.txt'), 1_800_000_000, 1_800_000_000);
    await putRemote(remote, scratch, 'r0.txt', 'remote 0, edited while down');
    await writeLocal(dir, 'new-here.txt', 'new here');
    await putRemote(remote, scratch, 'new-there.txt', 'new there');
    Object.assign(expected, { 'l0.txt': 'local 0, edited while down', 'r0.txt': 'remote 0, edited while down', 'new-here.txt': 'new here', 'new-there.txt': 'new there' });

    const second = run(['sync', dir, server.url, '--interval', '600']);
    await until(async () => JSON.stringify(sorted(await localFiles(dir))) === JSON.stringify(sorted(expected)), 20_000);
    await until(async () => JSON.stringify(sorted(await remoteFiles(remote, scratch))) === JSON.stringify(sorted(expected)), 20_000);
    second.child.kill('SIGTERM');
    expect(await second.waitExit()).toEqual({ code: 0, signal: null });
    // No conflict copies: nothing was mistaken for a change on both sides.
    expect(Object.keys(await localFiles(dir)).filter((p) => p.includes('conflict'))).toEqual([]);
  }, 60_000);

  it('refuses, in one line and exit 1, when the remote collection is gone', async () => {
    server = await startDavServer();
    const dir = await tempDir();
    const r = await runToEnd(['sync', dir, `${server.url}nothing-here/`, '--once']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^davsync: the remote collection http:\/\/127\.0\.0\.1:\d+\/nothing-here\/ does not exist \(404\): refusing to sync \(nothing was changed\)\n$/);
  });

  it('kill -9 mid-pass: the next run converges and fetches nothing it already has', async () => {
    const FILES = 24;
    // Every GET is slowed, so the kill lands while downloads are under way.
    server = await startDavServer({ before: (req) => (req.method === 'GET' ? new Promise((r) => setTimeout(r, 60)) : undefined) });
    const remote = new RemoteCollection({ url: server.url });
    const scratch = await tempDir();
    await remote.mkcol('d');
    for (let i = 0; i < FILES; i++) await putRemote(remote, scratch, `d/f${String(i).padStart(2, '0')}.txt`, `content ${i}`);
    const dir = await tempDir();
    await mkdir(join(dir, 'local'));
    await writeFile(join(dir, 'local', 'mine.txt'), 'mine');

    const first = run(['sync', dir, server.url, '--once']);
    await first.waitFor(/(^download .*\n){5}/m, 'stderr');
    first.child.kill('SIGKILL');
    const killed = await first.waitExit();
    expect(killed.signal).toBe('SIGKILL');
    // A progress line is written only after the action is recorded in the state.
    const fetched = [...first.stderr().matchAll(/^download (.*)$/gm)].map((m) => m[1] as string);
    expect(fetched.length).toBeGreaterThanOrEqual(5);
    expect(fetched.length).toBeLessThan(FILES);

    // What the killed run left in place: every file it reported, and maybe a few more renamed in place whose record
    // had not been committed yet (their group's; noted in `pending`). None of them may be fetched again.
    const inPlace = Object.keys(await localFiles(dir)).filter((p) => p.startsWith('d/'));
    expect(fetched.every((p) => inPlace.includes(p))).toBe(true);

    const getsBefore = server.requests.length;
    const second = await runToEnd(['sync', dir, server.url, '--once'], {});
    expect(second.code).toBe(0);
    const refetched = server.requests.slice(getsBefore).filter((r) => r.method === 'GET').map((r) => r.path.slice(1));
    expect(refetched.filter((p) => inPlace.includes(p))).toEqual([]);
    expect(refetched.length).toBe(FILES - inPlace.length);

    const expected: Record<string, string> = { d: '/', local: '/', 'local/mine.txt': 'mine' };
    for (let i = 0; i < FILES; i++) expected[`d/f${String(i).padStart(2, '0')}.txt`] = `content ${i}`;
    expect(sorted(await localFiles(dir))).toEqual(sorted(expected));
    expect(sorted(await remoteFiles(remote, scratch))).toEqual(sorted(expected));
    expect(await readFile(join(dir, 'd', 'f00.txt'), 'utf8')).toBe('content 0');
  }, 60_000);

  it('kill -9 again and again during a first sync with 8 transfers: no run fetches a file already in place, none makes a conflict copy, and it converges', async () => {
    const FILES = 150;
    // GETs slowed a little, so the kills land among transfers and group commits rather than after the pass.
    server = await startDavServer({ before: (req) => (req.method === 'GET' ? new Promise((r) => setTimeout(r, 15)) : undefined) });
    const remote = new RemoteCollection({ url: server.url });
    const scratch = await tempDir();
    const expected: Record<string, string> = {};
    for (let d = 0; d < 5; d++) {
      await remote.mkcol(`d${d}`);
      expected[`d${d}`] = '/';
    }
    for (let i = 0; i < FILES; i++) {
      await putRemote(remote, scratch, `d${i % 5}/f${i}.txt`, `content ${i}`);
      expected[`d${i % 5}/f${i}.txt`] = `content ${i}`;
    }
    const dir = await tempDir();
    const files = async () => Object.keys(await localFiles(dir)).filter((p) => p.endsWith('.txt'));
    for (let k = 0; k < 5; k++) {
      const inPlace = await files();
      if (inPlace.length === FILES) break;
      const from = server.requests.length;
      const p = run(['sync', dir, server.url, '--once', '--transfers', '8']);
      // After its first group is reported (or the wait times out), and a little later each time.
      await p.waitFor(/^download /m, 'stderr').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 60 * k));
      p.child.kill('SIGKILL');
      await p.waitExit();
      const got = server.requests.slice(from).filter((r) => r.method === 'GET').map((r) => r.path.slice(1));
      expect(got.filter((g) => inPlace.includes(g))).toEqual([]);
    }
    const inPlace = await files();
    const from = server.requests.length;
    const last = await runToEnd(['sync', dir, server.url, '--once', '--transfers', '8']);
    expect(last.code).toBe(0);
    const got = server.requests.slice(from).filter((r) => r.method === 'GET').map((r) => r.path.slice(1));
    expect(got.filter((g) => inPlace.includes(g))).toEqual([]);
    expect(got.length).toBe(FILES - inPlace.length);
    expect(sorted(await localFiles(dir))).toEqual(sorted(expected));
    expect(server.requests.filter((r) => r.method === 'PUT' && r.path.includes('conflict'))).toEqual([]);
  }, 120_000);
});
