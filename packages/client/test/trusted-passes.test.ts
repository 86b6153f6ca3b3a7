/**
 * Continuous mode's scan-free passes (trusted-local.ts, changed-paths.ts):
 * while the watcher works, a pass skips the local scan, looks only at the
 * paths it reported, and still applies the server's changes; a missed local edit is never overwritten; a watcher
 * error, no watcher, and the full-scan interval bring the scan back.
 * Nothing here is timed: each test waits (bounded) for passes to happen and
 * reads what they did from their results.
 */
import { mkdir, readFile, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { syncContinuously, syncUntilAgreed, type ContinuousOptions, type FolderWatcherHandlers, type PassResult, type PassTrigger, type RemoteCollection } from '../src/index';
import { useClientFixture } from './support/client-fixture';
import type { TestDavServer } from './support/davsync-server';
import { localFiles, putRemote, remoteFiles, writeLocal } from './support/trees';

let tmp: string;
let dir: string;
let server: TestDavServer;
let remote: RemoteCollection;
let stopLoop: (() => Promise<void>) | undefined;

useClientFixture('davsync-client-trusted-', (fx) => ({ tmp, dir, server, remote } = fx), {
  beforeClose: async () => {
    await stopLoop?.();
    stopLoop = undefined;
  },
});

interface Pass {
  readonly result: PassResult;
  readonly trigger: PassTrigger;
}

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The loop, polling every 20 ms (no change stream); its passes as they end. */
function runLoop(extra: Partial<ContinuousOptions> = {}): Pass[] {
  const passes: Pass[] = [];
  const stop = new AbortController();
  const errors: unknown[] = [];
  const running = syncContinuously({
    dir,
    url: server.url,
    intervalMs: 20,
    debounceMs: 20,
    stream: false,
    fullScanIntervalMs: 3_600_000,
    signal: stop.signal,
    onPass: (result, trigger) => passes.push({ result, trigger }),
    onPassError: (err) => errors.push(err),
    ...extra,
  });
  stopLoop = async () => {
    stop.abort();
    await running;
    expect(errors).toEqual([]);
  };
  return passes;
}

/** A watcher the test speaks for: silent unless told (one that misses events). */
function fakeWatcher(): { handlers?: FolderWatcherHandlers; make: ContinuousOptions['makeWatcher'] } {
  const fake: { handlers?: FolderWatcherHandlers; make: ContinuousOptions['makeWatcher'] } = {
    make: (_dir, handlers) => {
      fake.handlers = handlers;
      return { start: () => undefined, close: () => undefined };
    },
  };
  return fake;
}

const trustedPoll = (p: Pass) => p.trigger === 'timer' && !p.result.scanned;

it('with the folder watched, idle polls do not scan, yet bring a remote change; a local edit is looked at, not scanned for, and sent', async () => {
  const passes = runLoop();
  await until(() => passes.some(trustedPoll));
  expect(passes[0]).toMatchObject({ trigger: 'start', result: { scanned: true } });

  await putRemote(remote, tmp, 'b.txt', 'from the server');
  await until(() => passes.some((p) => p.result.counts.downloaded === 1));
  const download = passes.findIndex((p) => p.result.counts.downloaded === 1);
  expect(passes[download]).toMatchObject({ trigger: 'timer', result: { scanned: false } });
  expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('from the server');
  // The download's own rename wakes the watcher (a pass that looks at b.txt), then idle polls are scan-free again.
  await until(() => passes.slice(download + 1).some(trustedPoll));

  await writeLocal(dir, 'c.txt', 'made here');
  await until(() => passes.some((p) => p.result.counts.uploaded === 1));
  const upload = passes.find((p) => p.result.counts.uploaded === 1)!;
  expect(upload.result.scanned).toBe(false);
  // c.txt, and perhaps b.txt (same-tick since its download, so hashed again) — not the whole folder.
  expect(upload.result.looked!.plannedPaths).toBeLessThanOrEqual(2);
  expect((await remoteFiles(remote, tmp))['c.txt']).toBe('made here');
  expect(passes.every((p, i) => i === 0 || !p.result.scanned)).toBe(true);
});

/** A synced folder with old file times (no same-tick identity to hash), then the loop with a watcher the test speaks for. */
async function watchedLoop(files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    await writeLocal(dir, path, text);
    await utimes(join(dir, path), 1_600_000_000, 1_600_000_000);
  }
  expect((await syncUntilAgreed({ dir, url: server.url })).agreed).toBe(true);
  const fake = fakeWatcher();
  const passes = runLoop({ makeWatcher: fake.make });
  await until(() => passes.some(trustedPoll));
  return { fake, passes, report: (...paths: string[]) => paths.forEach((p) => fake.handlers!.onChange(p)) };
}

it('reported paths are looked at, not scanned for: a new folder with a file, an edit, a removal and a rename (two events) reach the server', async () => {
  const files: Record<string, string> = { 'a.txt': 'a', 'd/b.txt': 'b', 'd/c.txt': 'c', 'x.txt': 'x' };
  for (let i = 0; i < 20; i++) files[`many/f${i}.txt`] = `f${i}`;
  const { passes, report } = await watchedLoop(files);
  const before = passes.length;

  await writeLocal(dir, 'n/new.txt', 'new here');
  await writeLocal(dir, 'a.txt', 'edited here');
  await utimes(join(dir, 'a.txt'), 1_600_000_100, 1_600_000_100);
  await rm(join(dir, 'd/c.txt'));
  await rename(join(dir, 'x.txt'), join(dir, 'y.txt'));
  report('n', 'a.txt', 'd/c.txt', 'x.txt', 'y.txt');

  await until(() => passes.slice(before).some((p) => p.result.counts.moved === 1));
  const pass = passes.slice(before).find((p) => p.result.counts.moved === 1)!;
  expect(pass.result.scanned).toBe(false);
  expect(pass.result.counts).toMatchObject({ uploaded: 2, deletedRemote: 1, moved: 1, folders: 1, failed: 0, deferred: 0 });
  // n, n/new.txt, a.txt, y.txt looked at (d/c.txt and x.txt are gone); the 20 files of many/ never were.
  expect(pass.result.looked).toEqual({ localPaths: 4, plannedPaths: 6 });
  const there = await remoteFiles(remote, tmp);
  expect(there).toEqual(await localFiles(dir));
  expect(there['y.txt']).toBe('x');
});

it('a folder renamed (reported as its two names) is moved on the server, its files not sent again', async () => {
  const { passes, report } = await watchedLoop({ 'old/a.txt': 'a', 'old/sub/b.txt': 'b', 'other.txt': 'o' });
  const before = passes.length;
  await rename(join(dir, 'old'), join(dir, 'new'));
  report('old', 'new');
  await until(() => passes.slice(before).some((p) => p.result.counts.moved === 1));
  const pass = passes.slice(before).find((p) => p.result.counts.moved === 1)!;
  expect(pass.result).toMatchObject({ scanned: false, counts: { uploaded: 0, deletedRemote: 0, moved: 1 } });
  expect(await remoteFiles(remote, tmp)).toEqual(await localFiles(dir));
});

it('a change the watcher cannot name (no path) makes the next pass scan', async () => {
  const { fake, passes } = await watchedLoop({ 'a.txt': 'a' });
  await writeLocal(dir, 'unnamed.txt', 'found by the scan');
  const before = passes.length;
  fake.handlers!.onChange(undefined);
  await until(() => passes.slice(before).some((p) => p.result.counts.uploaded === 1));
  expect(passes.slice(before).find((p) => p.result.counts.uploaded === 1)?.result.scanned).toBe(true);
});

it('a reported path below a folder that became a symbolic link is not followed: the link is reported, and the folder is gone here as a scan sees it', async () => {
  const { passes, report } = await watchedLoop({ 'd/a.txt': 'a', 'keep.txt': 'k' });
  await mkdir(join(tmp, 'elsewhere'));
  await writeLocal(join(tmp, 'elsewhere'), 'a.txt', 'not in the folder');
  await rm(join(dir, 'd'), { recursive: true });
  await symlink(join(tmp, 'elsewhere'), join(dir, 'd'));
  const before = passes.length;
  report('d/a.txt');
  await until(() => passes.slice(before).some((p) => p.result.counts.skipped >= 1));
  const pass = passes.slice(before).find((p) => p.result.counts.skipped >= 1)!;
  expect(pass.result.scanned).toBe(false);
  expect(pass.result.actions).toContainEqual({ type: 'skip', path: 'd', reason: 'a symbolic link (not followed)' });
  expect(pass.result.actions.some((a) => a.type === 'upload')).toBe(false);
  // What a scan plans too: the link is left out of the local tree, so the folder and its file are gone here.
  expect(pass.result.counts.deletedRemote).toBe(2);
});

it('a local edit the watcher missed is not overwritten by a scan-free pass: the download waits, a scan follows and keeps both versions', async () => {
  await writeLocal(dir, 'a.txt', 'first');
  await utimes(join(dir, 'a.txt'), 1_600_000_000, 1_600_000_000); // long past: not a same-tick (racy) identity
  expect((await syncUntilAgreed({ dir, url: server.url })).agreed).toBe(true);
  const fake = fakeWatcher();
  const passes = runLoop({ makeWatcher: fake.make });
  await until(() => passes.some(trustedPoll));

  await writeLocal(dir, 'a.txt', 'edited here, unheard');
  await utimes(join(dir, 'a.txt'), 1_600_000_100, 1_600_000_100);
  await putRemote(remote, tmp, 'a.txt', 'edited on the server');
  await until(() => passes.some((p) => p.result.counts.conflicts === 1));
  const deferredAt = passes.findIndex((p) => p.result.counts.deferred === 1);
  expect(passes[deferredAt]?.result.scanned).toBe(false);
  expect(passes.slice(deferredAt + 1).find((p) => p.result.counts.conflicts === 1)?.result.scanned).toBe(true);

  const here = await localFiles(dir);
  expect(here['a.txt']).toBe('edited on the server');
  expect(Object.values(here).sort()).toEqual(['edited here, unheard', 'edited on the server']);
});

it('after a watcher error the passes scan until the watcher is back, then idle polls are scan-free again', async () => {
  const fake = fakeWatcher();
  const passes = runLoop({ makeWatcher: fake.make });
  await until(() => passes.some(trustedPoll));

  fake.handlers!.onError!(new Error('inotify queue overflow'), 60_000);
  const erred = passes.length;
  await until(() => passes.length >= erred + 3);
  // The pass under way at the error may have begun before it; every later one scans.
  expect(passes.slice(erred + 1).every((p) => p.result.scanned)).toBe(true);

  fake.handlers!.onChange(undefined); // re-opened: what the gap hid is found by the scan this asks for
  const back = passes.length;
  await until(() => passes.slice(back).some(trustedPoll));
});

it('the full-scan interval makes a quiet watcher scan now and then', async () => {
  const fake = fakeWatcher();
  const passes = runLoop({ makeWatcher: fake.make, fullScanIntervalMs: 200 });
  await until(() => passes.filter((p) => p.trigger === 'timer' && p.result.scanned).length >= 2);
  expect(passes.some(trustedPoll)).toBe(true);
});

it('without a watcher every pass scans', async () => {
  const passes = runLoop({ watch: false });
  await until(() => passes.filter((p) => p.trigger === 'timer').length >= 3);
  expect(passes.every((p) => p.result.scanned)).toBe(true);
});
