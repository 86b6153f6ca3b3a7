/**
 * What every third-party server a test starts has in common: a free port
 * on 127.0.0.1, a temporary folder, the process spawned with its stderr
 * kept (bounded) for the error message, a wait until it answers, and a
 * stop that ends the process (SIGTERM, then SIGKILL after 5 s) and removes
 * the folder. Used by radicale.ts, xandikos.ts, apache.ts, rclone-serve.ts
 * and nephele.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why `command` cannot be run here (not installed), or undefined when it can. */
export function commandMissing(command: string, args: readonly string[], install: string): string | undefined {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.error !== undefined ? `${command} is not installed (${install})` : undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SpawnedServer {
  readonly child: ChildProcess;
  /** The temporary folder, removed by `close`. */
  readonly root: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface SpawnOptions {
  /** For messages: `radicale`, `apache2`… */
  readonly name: string;
  /** Prefix of the temporary folder's name. */
  readonly tmpPrefix: string;
  /** Writes whatever the server needs under `root` and returns how to start it. */
  readonly prepare: (root: string, port: number) => Promise<{ command: string; args: readonly string[]; env?: NodeJS.ProcessEnv }>;
  /** One attempt to see the server ready (a PROPFIND, an OPTIONS…): true when it is. Errors count as "not yet". */
  readonly ready: (origin: string) => Promise<boolean>;
  /** Attempts 100 ms apart (default 150, ~15 s). */
  readonly attempts?: number;
}

/** A PROPFIND Depth 0 of `url` answered 207: the common readiness check. */
export async function answersPropfind(url: string): Promise<boolean> {
  const res = await fetch(url, { method: 'PROPFIND', headers: { depth: '0' } });
  await res.body?.cancel();
  return res.status === 207;
}

export async function spawnServer(options: SpawnOptions): Promise<SpawnedServer> {
  const root = await mkdtemp(join(tmpdir(), options.tmpPrefix));
  try {
    const port = await freePort();
    const { command, args, env } = await options.prepare(root, port);
    const child = spawn(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(env === undefined ? {} : { env }) });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr.length < 20_000 ? (stderr += String(d)) : undefined));
    const spawned: SpawnedServer = {
      child,
      root,
      port,
      close: async () => {
        await stop(child);
        await rm(root, { recursive: true, force: true });
      },
    };
    const origin = `http://127.0.0.1:${port}`;
    const attempts = options.attempts ?? 150;
    for (let i = 0; i < attempts; i++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
      if (await options.ready(origin).catch(() => false)) return spawned;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop(child);
    throw new Error(`${options.name} did not answer on port ${port} within ${attempts / 10} s: ${stderr.trim()}`);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
