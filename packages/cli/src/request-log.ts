/**
 * The access log: one line per request, written when the response is done
 * (or the connection dropped), at level `info`:
 *
 *     2025-11-22T15:41:00.123Z PUT /notes.txt 201 3.2ms
 *
 * Only the method, the path, the status and the time are logged — never
 * headers, so credentials (`Authorization`) cannot end up in a log file.
 * At level `debug` the client address and User-Agent are appended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './log';

/** Longest path logged; longer ones are cut (a client controls the URL, not the log's size). */
const MAX_PATH = 1024;

/** Starts timing a request; its line is logged once, when the response closes. */
export function logRequest(log: Logger, req: IncomingMessage, res: ServerResponse): void {
  if (!log.enabled('info')) return;
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Not finished: the client went away, or shutdown cut the connection.
    const status = res.headersSent ? String(res.statusCode) : '-';
    let line = `${new Date().toISOString()} ${printable(req.method ?? '-')} ${printable(req.url ?? '-')} ${status} ${ms.toFixed(1)}ms`;
    if (!res.writableFinished) line += ' aborted';
    if (log.enabled('debug')) {
      line += ` from ${req.socket.remoteAddress ?? '-'} ${JSON.stringify(printable(req.headers['user-agent'] ?? ''))}`;
    }
    log.info(line);
  });
}

/**
 * A value as it may appear in the log: one token, printable ASCII. Anything
 * else (spaces, control characters, raw non-ASCII bytes) is percent-encoded,
 * so a crafted URL cannot forge or split log lines.
 */
export function printable(value: string): string {
  const escaped = value.slice(0, MAX_PATH).replace(/[^\x21-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    // Node hands over the request line's bytes as latin1, so this is nearly
    // always a byte; a header can hold more, logged as its UTF-16 unit.
    return code < 0x100 ? `%${hex(code, 2)}` : `%u${hex(code, 4)}`;
  });
  return value.length > MAX_PATH ? `${escaped}…` : escaped;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}
