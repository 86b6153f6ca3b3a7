/**
 * The server's log: levels, and which stream each goes to. Informational
 * lines (the request log) go to stdout so `davsync serve > access.log`
 * captures exactly them; warnings and errors go to stderr, where a terminal
 * or a supervisor (systemd, docker) shows them even when stdout is redirected.
 */

/** From quietest to noisiest; each level includes the ones before it. */
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  readonly level: LogLevel;
  /** Whether a message at `level` would be written (to skip building it otherwise). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Something lines can be written to: `process.stdout`, a stream, a test's array. */
export interface LineSink {
  write(text: string): unknown;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** A logger writing whole lines: info and debug to `out`, warn and error to `err`. */
export function createLogger(level: LogLevel, out: LineSink = process.stdout, err: LineSink = process.stderr): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: Exclude<LogLevel, 'silent'>) => LOG_LEVELS.indexOf(l) <= rank;
  const to = (sink: LineSink, l: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (enabled(l)) sink.write(`${message}\n`);
  };
  return { level, enabled, error: to(err, 'error'), warn: to(err, 'warn'), info: to(out, 'info'), debug: to(out, 'debug') };
}
