/**
 * Every step of `davsync serve`'s start-up is bounded: a path that cannot
 * be a folder is refused at once, and a first SIGINT or SIGTERM during
 * start-up stops it promptly, as a normal stop would (exit 0).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, promises as fsp } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsStore } from '@davsync/adapter-fs';
import { cleanup, LISTENING, lines, run, runToEnd, tempDir } from './support';

afterEach(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('davsync serve: a path that cannot be a folder', () => {
  const onLinux = existsSync('/proc/self/stat');
  (onLinux ? it : it.skip)('/proc/newdir: one line, exit 1, at once (it used to spin for ever in mkdir)', async () => {
    const started = performance.now();
    const r = await runToEnd(['serve', '/proc/newdir', '--port', '0']);
    expect(performance.now() - started).toBeLessThan(10_000); // a process start; the refusal itself takes milliseconds
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('davsync: cannot serve /proc/newdir: /proc is on proc, a kernel interface filesystem that stores no files\n');
    expect(r.stdout).toBe('');
  });

  it('a path under a regular file: one line, exit 1', async () => {
    const file = join(await tempDir(), 'file');
    await fsp.writeFile(file, 'x');
    const r = await runToEnd(['serve', join(file, 'sub', 'deeper'), '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`davsync: cannot serve ${join(file, 'sub', 'deeper')}: not a directory\n`);
  });
});

describe('davsync serve: a signal during start-up', () => {
  /** A folder of 20 000 files already in its journal: its start-up reconcile walks them all. */
  let parent: string;
  let dir: string;
  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'davsync-cli-large-'));
    dir = join(parent, 'large');
    for (let d = 0; d < 20; d++) {
      await fsp.mkdir(join(dir, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000; i += 250) {
        await Promise.all(Array.from({ length: 250 }, (_, k) => fsp.writeFile(join(dir, `d${d}`, `f${i + k}.txt`), 'x')));
      }
    }
    const store = await openFsStore({ root: dir, watch: false, reconcileIntervalMs: 0 });
    await store.close();
  }, 120_000);
  afterAll(() => fsp.rm(parent, { recursive: true, force: true }));

  /** Waits until the store has taken the folder's lock (its note appears once the signal handlers are in place). */
  async function untilLocked(): Promise<void> {
    for (let i = 0; i < 1000 && !existsSync(join(dir, '.davsync', 'lock')); i++) await sleep(5);
    expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(true);
  }

  it('SIGINT as soon as the folder is locked: stops within a second, exit 0, never ready', async () => {
    const proc = run(['serve', dir, '--port', '0']);
    await untilLocked();
    const sent = performance.now();
    proc.child.kill('SIGINT');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    const ms = performance.now() - sent;
    expect(proc.stdout()).not.toMatch(LISTENING);
    expect(lines(proc.stdout())).toEqual(['davsync: SIGINT during start-up: stopping', 'davsync: stopped']);
    expect(proc.stderr()).toBe(''); // it stopped by itself, not by the 1 s backstop
    expect(ms).toBeLessThan(1000);
    expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(false);
  });

  it('SIGTERM right after the ready line, while the reconcile of 20 000 files runs behind it: stops within a second, exit 0', async () => {
    const proc = run(['serve', dir, '--port', '0']);
    await proc.waitFor(LISTENING); // the server listens; the reconcile runs, requests wait for it
    const sent = performance.now();
    proc.child.kill('SIGTERM');
    expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
    const ms = performance.now() - sent;
    const out = lines(proc.stdout());
    expect(out[0]).toMatch(LISTENING);
    expect(out.slice(1)).toEqual([expect.stringMatching(/^davsync: SIGTERM: shutting down/), 'davsync: stopped']);
    expect(proc.stderr()).toBe(''); // an abandoned reconcile is not a failure to report
    expect(ms).toBeLessThan(1000);
    expect(existsSync(join(dir, '.davsync', 'lock'))).toBe(false);
  });
});

describe('davsync serve: a signal during a start-up step that cannot be cut', () => {
  it('exits 0 after 1 s anyway, saying so (here: a PostgreSQL server that accepts and never answers)', async () => {
    const sockets: Socket[] = [];
    let connected!: () => void;
    const arrived = new Promise<void>((resolve) => (connected = resolve));
    const silent = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const proc = run(['serve', '--postgres', `postgresql://davsync@127.0.0.1:${port}/davsync`, '--port', '0']);
      await arrived; // the signal handlers are in place before the store is opened
      const sent = performance.now();
      proc.child.kill('SIGINT');
      expect(await proc.waitExit()).toEqual({ code: 0, signal: null });
      const ms = performance.now() - sent;
      expect(lines(proc.stdout())).toEqual(['davsync: SIGINT during start-up: stopping']);
      expect(proc.stderr()).toBe('davsync: start-up did not stop within 1 s: exiting now\n');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
