/**
 * Reading a request body without taking it from the host. Wrap mode must
 * look inside some bodies (is this REPORT a `sync-collection`? does this
 * PROPFIND ask for `DAV:sync-token`?) and still hand the request to the
 * host untouched when the answer is no.
 *
 * The bytes are read in paused mode and pushed back with `unshift` in the
 * same tick in which the end of the body is seen: Node emits `'end'` only
 * on the next tick and only when the buffer is still empty then (its
 * `endReadable` checks for "one last unshift"), so the host later reads the
 * same bytes and the same `'end'` as if nobody had looked.
 */
import type { IncomingMessage } from 'node:http';

/** What Express/Connect body parsers leave on `req`. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  _body?: boolean;
}

/**
 * The whole request body, or `undefined` when it is larger than `maxBytes`,
 * was consumed into an object by a host body parser, or the connection
 * failed. The request reads exactly as before afterwards.
 */
export function peekBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const parsed = req as ParsedRequest;
  if (parsed._body === true || req.readableEnded) {
    const b = parsed.body;
    if (Buffer.isBuffer(b)) return Promise.resolve(b.length > maxBytes ? undefined : b);
    if (typeof b === 'string') return Promise.resolve(Buffer.byteLength(b) > maxBytes ? undefined : Buffer.from(b));
    return Promise.resolve(declaresBody(req) ? undefined : Buffer.alloc(0));
  }
  if (!declaresBody(req)) return Promise.resolve(Buffer.alloc(0));
  // Fully received and nothing buffered: empty. Reading now would make the
  // stream emit 'end' before the host listens.
  if (req.complete && req.readableLength === 0) return Promise.resolve(Buffer.alloc(0));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('readable', onReadable);
      req.off('error', onFailure);
      req.off('close', onFailure);
      // Synchronously, before the 'end' Node may have scheduled for this tick.
      if (size > 0 && !req.destroyed) req.unshift(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      resolve(result);
    };
    const onReadable = (): void => {
      while (req.readableLength > 0) {
        const chunk: unknown = req.read();
        if (chunk === null) break;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        chunks.push(bytes);
        size += bytes.length;
        if (size > maxBytes) return finish(undefined);
      }
      if (req.complete) finish(Buffer.concat(chunks));
    };
    const onFailure = (): void => finish(undefined);
    req.on('readable', onReadable);
    req.on('error', onFailure);
    req.on('close', onFailure);
  });
}

/** RFC 9112 §6.3: a request has a body only with Transfer-Encoding or a non-zero Content-Length. */
function declaresBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}
