#!/usr/bin/env node
/**
 * The `davsync` executable (started by `bin/davsync.js`; the shebang above
 * keeps this file runnable too, for checkouts whose `node_modules/.bin`
 * still links here from before the shim existed): parse the command
 * line, run the command, exit with its code. Every failure a user can cause
 * ends here as one line on stderr — `davsync: …` — and exit code 1, or 2 for
 * a bad command line; a stack trace only for an unexpected error (a bug),
 * and only with `--log-level debug`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from './args';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine, UsageError } from './errors';

function version(): string {
  // dist/bin.js → the package's own package.json, whichever way it was installed.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  const line = parseCommandLine(argv, process.env);
  switch (line.command) {
    case 'help':
      process.stdout.write(line.text);
      return 0;
    case 'version':
      process.stdout.write(`davsync ${version()}\n`);
      return 0;
    // Each command loads its own modules only once chosen: `--help` and
    // `--version` load no store and no HTTP layer, `changes` no store, and
    // `serve` only the store it serves (see server.ts).
    // (`require`, not `import()`: a plain CommonJS load, no ES module loader.)
    case 'serve':
      return (require('./commands/serve') as typeof import('./commands/serve')).serveCommand(line.options);
    case 'changes':
      return (require('./commands/changes') as typeof import('./commands/changes')).changesCommand(line.options);
    case 'sync':
      return (require('./commands/sync') as typeof import('./commands/sync')).syncCommand(line.options);
    case 'push-list':
      return (require('./commands/push') as typeof import('./commands/push')).pushListCommand(line.options);
  }
}

/** `--log-level debug` (or `=debug`) on the command line, read raw: parsing may be what failed. */
function debugRequested(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--log-level=debug' || (a === '--log-level' && argv[i + 1] === 'debug'));
}

function exit(code: number): void {
  process.exitCode = code;
  // Normally the event loop is empty by now and the process ends by itself;
  // this bounds the wait if some handle (a stuck socket) is still open. The
  // timer is unref'd, so it never keeps the process alive on its own.
  setTimeout(() => process.exit(code), 2000).unref();
}

// A reader that goes away (`davsync changes … | head -1`) makes writes to
// stdout fail with EPIPE, emitted as an error event: unhandled, that is a
// crash with a stack trace — and for `serve`, a stop without closing the
// store. Losing the rest of the output is the right outcome; crashing is not.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  const known = err instanceof UsageError || err instanceof CliError;
  process.stderr.write(`davsync: ${oneLine(err)}\n`);
  // Something unexpected is a bug: say where, when asked to.
  if (!known && debugRequested(process.argv) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  exit(err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE);
});
