/**
 * Runs the built CLI (`bin/davsync.js` → `dist/`; `npm test` builds first)
 * as a child process. Every wait is bounded; `cleanup()` (in `afterEach`)
 * kills whatever is still running and removes the temporary directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', 'bin', 'davsync.js');

/** Long enough for a slow CI machine to start node and open a store, short enough to fail a hung test quickly. */
export const WAIT_MS = 15_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is complete. */
  readonly exited: Promise<Exit>;
  /** Waits until stdout (or stderr) matches, or fails after `ms` with both outputs in the message. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', ms?: number): Promise<RegExpExecArray>;
  /** Waits for the exit, or fails after `ms`. */
  waitExit(ms?: number): Promise<Exit>;
}

const running = new Set<ChildProcess>();
const dirs: string[] = [];

/** The environment without the caller's credentials, so a developer's own DAVSYNC_USER cannot change a test. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('DAVSYNC_USER' in extra)) delete env['DAVSYNC_USER'];
  if (!('DAVSYNC_PASSWORD' in extra)) delete env['DAVSYNC_PASSWORD'];
  return env;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** In a process group of its own (the caller kills the group: `npx` leaves its child running otherwise). */
  readonly detached?: boolean;
}

/** The built CLI with `args`. */
export function run(args: readonly string[], options: RunOptions = {}): CliProcess {
  return runCommand(process.execPath, [BIN, ...args], options);
}

/** Any command (curl, npx, a benchmark), watched and cleaned up like the CLI. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): CliProcess {
  const child = spawn(command, args, {
    env: cleanEnv(options.env),
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.detached === true ? { detached: true } : {}),
  });
  running.add(child);
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d;
    for (const l of listeners) l();
  });
  // 'close' (not 'exit'): the output streams are drained too.
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  let done: Exit | undefined;
  void exited.then((e) => (done = e));
  const describe = () => `\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`;

  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(pattern, stream = 'stdout', ms = WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out[stream]);
          if (m) finish(() => resolve(m));
          else if (done !== undefined) finish(() => reject(new Error(`exited (${JSON.stringify(done)}) before ${pattern} appeared${describe()}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${ms} ms waiting for ${pattern}${describe()}`))), ms);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    waitExit(ms = WAIT_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms${describe()}`)), ms);
        void exited.then((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
    },
  };
}

/** Runs the CLI to its end. */
export async function runToEnd(args: readonly string[], options: RunOptions = {}) {
  const p = run(args, options);
  const exit = await p.waitExit();
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

export const LISTENING = /^davsync listening on (http:\/\/127\.0\.0\.1:(\d+)\/) \((.*)\)$/m;

/** `davsync serve …` with `--port 0` added; resolves once the listening line is out. */
export async function startServe(args: readonly string[], options: RunOptions = {}) {
  const proc = run(['serve', ...args, '--port', '0'], options);
  const m = await proc.waitFor(LISTENING);
  return { proc, url: m[1] as string, port: Number(m[2]), store: m[3] as string };
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'davsync-cli-'));
  dirs.push(dir);
  return dir;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** For `afterEach`: kill every child still running (and wait for it), remove the temporary directories. */
export async function cleanup(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(resolve, 5000); // bounded even if the kill is somehow lost
          child.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The lines of an output, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** A sync-collection REPORT body. */
export function syncBody(token = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
}
