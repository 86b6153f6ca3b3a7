/**
 * Drives cadaver (Debian package `cadaver`, installed by .ci/run), the
 * interactive WebDAV command-line client, one command at a time: with
 * stdin not a terminal it reads commands line by line, echoes each after
 * its `dav:/> ` prompt and prints everything on stdout, so a command's
 * output is what comes between its echo and the next prompt. Each session
 * gets a temporary HOME (no ~/.cadaverrc, no ~/.netrc) and working
 * directory for the local files it uploads.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CADAVER = '/usr/bin/cadaver';
export const cadaverInstalled = (): boolean => existsSync(CADAVER);

const PROMPT = /dav:[^\n]*> $/;

export interface CadaverSession {
  /** Runs one command and returns what cadaver printed for it (without the prompt). */
  run(command: string): Promise<string>;
  /** Writes a local file (in the session's working directory) for `put`. */
  local(name: string, content: string): Promise<void>;
  /** `quit`s (killing cadaver if it does not go) and removes the temporary directory. */
  close(): Promise<void>;
}

/** Starts cadaver on `url` and waits for its first prompt. */
export async function openCadaver(url: string, timeoutMs = 15_000): Promise<CadaverSession> {
  const dir = await mkdtemp(join(tmpdir(), 'davsync-cadaver-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LANG: 'C', TERM: 'dumb' };
  const child: ChildProcessWithoutNullStreams = spawn(CADAVER, [url], { cwd: dir, env });
  let buffer = '';
  let waiter: (() => void) | undefined;
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    waiter?.();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => waiter?.());

  /** Waits until the buffer ends in a prompt; returns the text before it and empties the buffer. */
  const untilPrompt = (what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`cadaver: no prompt after ${what} within ${timeoutMs} ms; output so far:\n${buffer}`));
      }, timeoutMs);
      const check = (): void => {
        const m = PROMPT.exec(buffer);
        if (m === null) {
          if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiter = undefined;
            reject(new Error(`cadaver exited (${child.exitCode}) during ${what}:\n${buffer}`));
          }
          return;
        }
        clearTimeout(timer);
        waiter = undefined;
        const text = buffer.slice(0, m.index);
        buffer = '';
        resolve(text);
      };
      waiter = check;
      check();
    });

  try {
    await untilPrompt('start-up');
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    async run(command) {
      child.stdin.write(`${command}\n`);
      const text = await untilPrompt(`\`${command}\``);
      // cadaver echoes the command line first.
      return text.startsWith(`${command}\n`) ? text.slice(command.length + 1) : text;
    },
    local: (name, content) => writeFile(join(dir, name), content),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end('quit\n');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
