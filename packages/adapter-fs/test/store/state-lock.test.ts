/**
 * The state directory's lock (`state-lock.ts`): a kernel lock, released when
 * its owner dies or closes the store, refused to a second store in this
 * process or another, and never decided by a pid.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { isDavError } from '@davsync/core';
import { removeTemp, tempDir } from '../support/temp-store';

const SERVER = join(__dirname, '..', 'support', 'fs-server.js');

const dirs: string[] = [];
const stores: FsStore[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await removeTemp(d);
});

function newRoot(): string {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir, 'root');
}

async function open(root: string): Promise<FsStore> {
  const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
  stores.push(store);
  return store;
}

async function close(store: FsStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}

/** The error `openFsStore` rejects with (fails the test if it opens). */
async function refusal(root: string): Promise<unknown> {
  try {
    await open(root);
  } catch (err) {
    return err;
  }
  throw new Error(`a second store opened ${root}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the state directory lock', () => {
  it('refuses a second store on one root in the same process, and frees the root on close', async () => {
    const root = newRoot();
    const first = await open(root);
    const err = await refusal(root);
    expect(isDavError(err, 'unavailable')).toBe(true);
    expect(String(err)).toContain(`${join(root, '.davsync')} is in use by another store in this process (${process.pid})`);
    // The failed attempt closed its own connection to the lock file; that
    // must not have dropped the first store's lock (POSIX locks are per process).
    expect(String(await refusal(root))).toContain('is in use');

    await close(first);
    expect(existsSync(join(root, '.davsync', 'lock'))).toBe(false);
    await open(root);
  });

  it.each([
    ['pid 1', () => 1],
    ["the test's own pid", () => process.pid],
  ])('a lock file left by the previous version, naming a live process (%s), does not block; the journal is kept', async (_name, pid) => {
    const root = newRoot();
    const before = await open(root);
    await before.adapter.write('/kept.txt', (async function* () {
      yield Buffer.from('kept');
    })());
    await before.engine.refresh('/');
    const token = (await before.engine.changes('/', null, { level: 1 })).token;
    await close(before);
    // What the previous version left: the pid-only lock file, no lock.db.
    await fsp.rm(join(root, '.davsync', 'lock.db'));
    await fsp.writeFile(join(root, '.davsync', 'lock'), String(pid()));

    const after = await open(root);
    expect((await after.engine.changes('/', token, { level: 1 })).changes).toEqual([]);
    expect(readFileSync(join(root, '.davsync', 'lock'), 'utf8')).toBe(String(process.pid));
  });

  it('is refused to another process while it lives, and free once it is killed, even before it is reaped', async () => {
    const root = newRoot();
    await fsp.mkdir(root, { recursive: true });
    // `exec sleep` makes sleep the server's parent, and sleep never reaps:
    // once killed, the server stays a zombie — as it may when its real
    // parent (npx, a shell, a container's init) is slow to reap.
    const holder = spawn('sh', ['-c', `"${process.execPath}" "${SERVER}" "${root}" & echo "pid $!"; exec sleep 60`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(holder);
    let out = '';
    holder.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (let i = 0; i < 300 && !/ready \d+/.test(out); i++) await sleep(50);
    const serverPid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(out).toMatch(/ready \d+/);

    expect(String(await refusal(root))).toContain(`is in use by process ${serverPid}`);

    process.kill(serverPid, 'SIGKILL');
    let state = '';
    for (let i = 0; i < 200 && state !== 'Z'; i++) {
      await sleep(10);
      state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${serverPid}/stat`, 'utf8'))?.[1] ?? '';
    }
    expect(state).toBe('Z'); // dead, not reaped: `kill(pid, 0)` would still call it alive
    await open(root);
  });
});
