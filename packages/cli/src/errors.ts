/**
 * How the CLI fails: one line on stderr, `davsync: <what went wrong>`, and
 * an exit code a script can act on — never a stack trace for something the
 * user can fix (a typo, a busy port, a wrong path).
 */

/** Exit code for a bad command line (the convention of getopt-style tools). */
export const EXIT_USAGE = 2;
/** Exit code for everything else that failed. */
export const EXIT_FAILURE = 1;

/** A bad command line: unknown flag, missing or malformed value. Exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the user can act on (port in use, not a directory, 403 …), with a message fit to print as is. Exits 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Human words for the errno codes people actually meet here. */
const ERRNO: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** `EADDRINUSE` → `address already in use`; unknown codes are shown as they are. */
export function describeErrno(code: string | undefined): string | undefined {
  return code === undefined ? undefined : (ERRNO[code] ?? code);
}

/**
 * The one line to print for any error: the message without the library's
 * own `davsync: ` prefix (the caller adds it once), cut at the first line
 * break so a multi-line message cannot spread over the terminal.
 */
export function oneLine(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<NodeJS.ErrnoException>;
  let message: string;
  if (typeof e.code === 'string' && typeof e.syscall === 'string') {
    // Node's errno messages repeat the code and syscall ("EACCES: permission denied, open '/x'").
    message = `${e.path ?? e.syscall}: ${describeErrno(e.code)}`;
  } else {
    message = messageOf(err);
  }
  const first = message.replace(/^(davsync: )+/, '').split(/\r?\n/)[0] ?? '';
  return first.trim() || 'unknown error';
}

/**
 * An error's message. Read by shape, not `instanceof Error`: an error from
 * another realm (a vm context, a test runner's sandbox) is not an instance
 * of this realm's Error, and `String(err)` would prepend its name and code.
 */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}
