/**
 * Runs the `litmus` WebDAV compliance suite (Debian package `litmus`)
 * against a server and parses what it prints. Adapter-neutral: give it the
 * URL of an existing, empty collection (ending in `/`) on any davsync server.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LITMUS = '/usr/bin/litmus';

/** The litmus suites that apply to a class 1 server (`locks` needs class 2). */
export const CLASS1_SUITES = ['basic', 'copymove', 'props', 'http'] as const;

/** Every litmus suite davsync runs: class 1 and, with LOCK and UNLOCK, class 2's `locks`. */
export const ALL_SUITES = [...CLASS1_SUITES, 'locks'] as const;

export interface LitmusSuiteResult {
  readonly suite: string;
  readonly run: number;
  readonly passed: number;
  readonly failed: number;
}

export interface LitmusResult {
  /** One entry per suite that printed a summary, in run order. */
  readonly suites: readonly LitmusSuiteResult[];
  /** Every test line that says FAIL (with litmus's reason). */
  readonly failures: readonly string[];
  /** Lines carrying a WARNING (not failures, but worth reading). */
  readonly warnings: readonly string[];
  /** litmus's exit code: with `-k` (which runLitmus passes) non-zero only when a suite could not start. */
  readonly exitCode: number;
  /** Everything litmus printed, stdout then stderr, cleaned by {@link cleanLitmusOutput}. */
  readonly output: string;
  /** The tail of litmus's debug.log (network traces), for failure messages. */
  readonly debugTail: string;
}

export const litmusInstalled = (): boolean => existsSync(LITMUS);

/**
 * Runs `suites` against `url` (an existing collection, with a trailing
 * slash) in a temporary working directory, since litmus writes
 * `debug.log` and `child.log` where it runs. `-k` keeps it going after a
 * failing suite so every suite reports.
 */
export async function runLitmus(
  url: string,
  suites: readonly string[] = CLASS1_SUITES,
  options: { timeoutMs?: number } = {},
): Promise<LitmusResult> {
  if (!url.endsWith('/')) throw new Error(`runLitmus: the URL must name a collection and end in '/': ${url}`);
  const cwd = await mkdtemp(join(tmpdir(), 'davsync-litmus-'));
  try {
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve, reject) => {
      execFile(
        LITMUS,
        ['-k', url],
        {
          cwd,
          env: litmusEnv(suites),
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') {
            // Not an exit status: a spawn failure or the timeout's kill.
            reject(new Error(`litmus did not finish: ${err.message}\n${stdout}\n${stderr}`));
            return;
          }
          resolve({ stdout, stderr, code: err ? (err.code as number) : 0 });
        },
      );
    });
    const debugLog = await readFile(join(cwd, 'debug.log'), 'utf8').catch(() => '');
    const output = cleanLitmusOutput(stdout + stderr);
    return { ...parseLitmusOutput(output), exitCode: code, output, debugTail: debugLog.slice(-4000) };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** The environment for litmus: the suites to run, and no proxy between it and a loopback server. */
function litmusEnv(suites: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TESTS: suites.join(' ') };
  for (const name of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(name)) delete env[name];
  return env;
}

/**
 * Parses litmus output. Summary lines look like
 * ``<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%``
 * (older builds quote with '…'); failing tests like
 * ` 5. put_get............... FAIL (reason`, the reason going on over the
 * next lines until the next test. litmus redraws a test's line after a
 * `\r`; only the last drawing is kept.
 */
export function parseLitmusOutput(output: string): Omit<LitmusResult, 'exitCode' | 'output' | 'debugTail'> {
  const lines = cleanLitmusOutput(output).split('\n');
  const suites: LitmusSuiteResult[] = [];
  const summary = /<- summary for [`'"]([^`'"]+)['"`]: of (\d+) tests run: (\d+) passed, (\d+) failed/;
  const failures: string[] = [];
  const warnings: string[] = [];
  const startsEntry = (l: string): boolean => /^\s*\d+\.\s/.test(l) || /^\s*(<-|->)/.test(l);
  lines.forEach((line, i) => {
    const m = summary.exec(line);
    if (m) suites.push({ suite: m[1] as string, run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]) });
    if (/\bWARNING\b/.test(line)) warnings.push(line.trim());
    if (/\bFAIL\b/.test(line)) {
      let text = line.trim();
      for (let j = i + 1; j < lines.length && !startsEntry(lines[j] as string) && (lines[j] as string).trim() !== ''; j++) {
        text += ` ${(lines[j] as string).trim()}`;
      }
      failures.push(text);
    }
  });
  return { suites, failures, warnings };
}

/** Output without colour codes, and with each `\r`-redrawn line reduced to its last drawing. */
export function cleanLitmusOutput(output: string): string {
  return output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split(/\r?\n/)
    .map((l) => l.slice(l.lastIndexOf('\r') + 1))
    .join('\n');
}
