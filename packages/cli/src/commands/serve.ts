/**
 * `davsync serve [DIR]`: start the server, print the ready line, and on
 * SIGINT or SIGTERM shut down gracefully — stop accepting, let requests in
 * flight finish (for at most the grace period), close the store so the
 * journal is closed cleanly and the folder's lock released — then exit 0.
 * A signal during start-up stops the start-up, promptly, and also exits 0.
 */
import type { ServeCommandOptions } from '../args';
import { CliError, oneLine } from '../errors';
import { createLogger, type LineSink } from '../log';
import { listeningLine, serve } from '../server';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * How long a start-up interrupted by a signal may take to wind down before
 * the process just exits. Winding down is normally a few milliseconds; the
 * exception is a step that cannot be cut, such as the one journal commit
 * of a first reconcile of a huge folder. Exiting then is safe: the journal
 * survives being killed at any point (the crash test), and the folder's
 * lock is the kernel's, released with the process.
 */
const START_UP_STOP_MS = 1000;

/** Runs until a signal has shut the server down; resolves to the exit code. */
export async function serveCommand(options: ServeCommandOptions, out: LineSink = process.stdout, err: LineSink = process.stderr): Promise<number> {
  const log = createLogger(options.logLevel, out, err);
  const graceMs = options.graceMs ?? 10_000;

  // Listen for signals before the store opens: start-up can take a while
  // (the folder is reconciled against the journal). A first signal then
  // stops the start-up — within START_UP_STOP_MS — and the command ends as
  // after a normal stop; a second one exits at once.
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  let pending: NodeJS.Signals | undefined;
  let starting = true;
  const startUp = new AbortController();
  let stopTimer: NodeJS.Timeout | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (starting && pending !== undefined) {
      err.write(`davsync: ${signal} again during start-up: exiting now\n`);
      process.exit(1);
    }
    pending ??= signal;
    if (starting) {
      log.info(`davsync: ${signal} during start-up: stopping`);
      startUp.abort();
      stopTimer = setTimeout(() => {
        err.write(`davsync: start-up did not stop within ${START_UP_STOP_MS / 1000} s: exiting now\n`);
        process.exit(0);
      }, START_UP_STOP_MS).unref();
    }
    onSignal(signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
  try {
    let running;
    try {
      running = await serve({ ...options, logger: log, graceMs, signal: startUp.signal });
    } catch (e) {
      if (!startUp.signal.aborted || e !== startUp.signal.reason) throw e;
      log.info('davsync: stopped');
      return 0;
    } finally {
      // Settled: what is left to do (at most closing a server that just
      // started) is the normal stop, bounded as usual.
      starting = false;
      clearTimeout(stopTimer);
    }
    // The ready line is the command's output, not a log message: shown at
    // every level but silent (tests and scripts read the port from it).
    if (options.logLevel !== 'silent') out.write(`${listeningLine(running)}\n`);

    const signal = await new Promise<NodeJS.Signals | Error>((resolve) => {
      if (pending !== undefined) resolve(pending);
      else onSignal = resolve;
      // The folder's reconcile runs after the ready line: if it fails, say
      // why in one line, as for any other start-up failure, and exit 1.
      void running.failed.then(resolve);
    });
    if (signal instanceof Error) {
      err.write(`davsync: ${signal.message}\n`);
      await running.close({ graceMs: 0 });
      return 1;
    }
    log.info(`davsync: ${signal}: shutting down (requests in flight get up to ${graceMs / 1000} s; signal again to cut them)`);
    // Another signal while waiting for requests in flight: cut them now, but
    // still close the store cleanly.
    onSignal = () => void running.close({ graceMs: 0 });
    try {
      await running.close();
    } catch (e) {
      throw new CliError(`could not close the store cleanly: ${oneLine(e)}`);
    }
    log.info('davsync: stopped');
    return 0;
  } finally {
    for (const s of SIGNALS) process.off(s, handler);
  }
}
