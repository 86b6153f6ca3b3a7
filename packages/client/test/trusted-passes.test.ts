/**
 * Continuous mode's scan-free passes (trusted-local.ts): a timer or server
 * pass skips the local scan while the watcher is quiet, and still applies
 * the server's changes; a missed local edit is never overwritten; a watcher
 * error, no watcher, and the full-scan interval bring the scan back.
 * Nothing here is timed: each test waits (bounded) for passes to happen and
 * reads what they did from their results.
 */
import { mkdir, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { RemoteCollection, syncContinuously, syncUntilAgreed, type ContinuousOptions, type FolderWatcherHandlers, type PassResult, type PassTrigger } from '../src/index';
import { startDavServer, type TestDavServer } from './support/davsync-server';
import { localFiles, putRemote, remoteFiles, writeLocal } from './support/trees';

let tmp: string;
let dir: string;
let server: TestDavServer;
let remote: RemoteCollection;
let stopLoop: (() => Promise<void>) | undefined;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'davsync-client-trusted-'));
  dir = join(tmp, 'folder');
  await mkdir(dir);
  server = await startDavServer();
  remote = new RemoteCollection({ url: server.url });
});
afterEach(async () => {
  await stopLoop?.();
  stopLoop = undefined;
  await server.close();
  await rm(tmp, { recursive: true, force: true });
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

it('with the folder watched, idle polls do not scan, yet bring a remote change; a local edit is scanned for and sent; our own writes do not keep it scanning', async () => {
  const passes = runLoop();
  await until(() => passes.some(trustedPoll));
  expect(passes[0]).toMatchObject({ trigger: 'start', result: { scanned: true } });

  await putRemote(remote, tmp, 'b.txt', 'from the server');
  await until(() => passes.some((p) => p.result.counts.downloaded === 1));
  const download = passes.findIndex((p) => p.result.counts.downloaded === 1);
  expect(passes[download]).toMatchObject({ trigger: 'timer', result: { scanned: false } });
  expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('from the server');
  // The download's own rename wakes the watcher (a scanning pass), then idle polls are scan-free again.
  await until(() => passes.slice(download + 1).some(trustedPoll));

  await writeLocal(dir, 'c.txt', 'made here');
  await until(() => passes.some((p) => p.result.counts.uploaded === 1));
  expect(passes.find((p) => p.result.counts.uploaded === 1)?.result.scanned).toBe(true);
  expect((await remoteFiles(remote, tmp))['c.txt']).toBe('made here');
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
