/**
 * `davsync sync DIR URL`: the two-way mirror of a local folder and a
 * remote collection (`@davsync/client`). With `--once`, passes until both
 * sides agree (exit 0) or a bounded number of passes did not get there
 * (exit 1); without it, continuous mode (`syncContinuously`: the folder
 * watched, the server's change stream heard, a timed pass every
 * `--interval` seconds) until SIGINT or SIGTERM, which let the action under
 * way finish and exit 0. Progress goes to stderr, one summary line per pass
 * to stdout.
 */
import { describeCounts, isRemoteError, SyncRefused, syncContinuously, syncUntilAgreed, type Action, type ActionReport, type PassResult, type PassTrigger, type SyncOptions } from '@davsync/client';
import type { Credentials } from '../basic-auth';
import { CliError, oneLine } from '../errors';
import type { LineSink } from '../log';

export interface SyncCommandOptions {
  readonly dir: string;
  /** The collection (http or https, no credentials in it). */
  readonly url: string;
  readonly credentials?: Credentials;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** Percentage of synced files one pass may delete (default 50). */
  readonly maxDelete: number;
  /** Seconds between timed passes without --once. */
  readonly interval: number;
  /** Without --once: seconds between scans of DIR when the watcher is quiet (--full-scan; the client's default when absent). */
  readonly fullScan?: number;
  /** Transfers at once (--transfers; the client's default when absent). */
  readonly transfers?: number;
  /** Without --once: watch DIR and listen to the server's change stream (false: timed passes only). */
  readonly watch: boolean;
}

export async function syncCommand(options: SyncCommandOptions, out: LineSink = process.stdout, err: LineSink = process.stderr): Promise<number> {
  const base: SyncOptions = {
    dir: options.dir,
    url: options.url,
    maxDeletePercent: options.maxDelete,
    dryRun: options.dryRun,
    ...(options.transfers === undefined ? {} : { transfers: options.transfers }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.json || options.dryRun ? {} : { onAction: (r: ActionReport) => err.write(`${describeReport(r)}\n`) }),
  };
  if (options.once || options.dryRun) {
    const { passes, agreed } = await withCliErrors(() => syncUntilAgreed(base));
    passes.forEach((p, i) => out.write(report(p, i + 1, options)));
    if (!agreed && !options.dryRun) err.write('davsync: the two sides do not agree yet (changes kept arriving, or some were deferred); run again\n');
    return agreed || options.dryRun ? 0 : 1;
  }
  return loop(base, options, out, err);
}

/** Without --once: continuous mode until a signal; a failed pass is reported and retried (the server may come back). */
async function loop(base: SyncOptions, options: SyncCommandOptions, out: LineSink, err: LineSink): Promise<number> {
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let pass = 0;
  try {
    await withCliErrors(() =>
      syncContinuously({
        ...base,
        intervalMs: options.interval * 1000,
        ...(options.fullScan === undefined ? {} : { fullScanIntervalMs: options.fullScan * 1000 }),
        signal: stopping.signal,
        watch: options.watch,
        stream: options.watch,
        onPass: (result, trigger, ms) => out.write(report(result, ++pass, options, { trigger, ms })),
        onPassError: (e) => err.write(`davsync: ${oneLine(e)} (retrying)\n`),
        onNotice: (line) => err.write(`davsync: ${line}\n`),
      }),
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}

async function withCliErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof SyncRefused || isRemoteError(e)) throw new CliError(e.message);
    throw e;
  }
}

/** `running`: continuous mode's pass — what started it and how long it took (in --json). */
function report(pass: PassResult, n: number, options: SyncCommandOptions, running?: { trigger: PassTrigger; ms: number }): string {
  if (options.json) {
    const outcomes = new Map(pass.reports.map((r) => [r.action, r]));
    const actions = pass.actions.map((a) => ({ ...a, ...(outcomes.has(a) ? { outcome: outcomes.get(a)!.outcome, ...(outcomes.get(a)!.reason === undefined ? {} : { reason: outcomes.get(a)!.reason }) } : {}) }));
    const timing = running === undefined ? {} : { trigger: running.trigger, ms: running.ms, scanned: pass.scanned };
    return `${JSON.stringify({ pass: n, dryRun: options.dryRun, agreed: pass.agreed, tokenRefused: pass.tokenRefused, counts: pass.counts, ...timing, actions })}\n`;
  }
  if (options.dryRun) {
    const lines = pass.actions.map((a) => `would ${describeAction(a)}`);
    return `${[...lines, `dry run: ${describeCounts(pass.counts)}; nothing was changed`].join('\n')}\n`;
  }
  const refused = pass.tokenRefused ? ' (the server refused the sync token: compared full listings by ETag)' : '';
  return `pass ${n}: ${describeCounts(pass.counts)}${pass.agreed ? '; in sync' : ''}${refused}\n`;
}

function describeReport(r: ActionReport): string {
  if (r.outcome === 'deferred') return `deferred ${'path' in r.action ? r.action.path : r.action.from}: ${r.reason}`;
  if (r.outcome === 'failed') return `failed ${'path' in r.action ? r.action.path : r.action.from}: ${r.reason}`;
  if (r.outcome === 'same') return `same on both sides ${'path' in r.action ? r.action.path : ''}`;
  return describeAction(r.action);
}

export function describeAction(a: Action): string {
  switch (a.type) {
    case 'download':
      return `download ${a.path}`;
    case 'upload':
      return `upload ${a.path}`;
    case 'conflict':
      return `conflict ${a.path}: the server's version keeps the name, this one is kept as ${a.copy}`;
    case 'mkdir-local':
      return `make folder here ${a.path}`;
    case 'mkdir-remote':
      return `make folder on the server ${a.path}`;
    case 'delete-local':
      return `delete here ${a.path}`;
    case 'delete-remote':
      return `delete on the server ${a.path}`;
    case 'rename-local':
      return `move here ${a.from} -> ${a.to}`;
    case 'rename-remote':
      return `move on the server ${a.from} -> ${a.to}`;
    case 'record':
      return `record ${a.path}`;
    case 'skip':
      return `not synced ${a.path}: ${a.reason}`;
  }
}
