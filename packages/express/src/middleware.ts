/**
 * `davsync(options)`: a standard `(req, res, next)` handler for Express 4
 * and 5, Connect and plain `http.createServer` (where `next` is absent).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyncEngine } from '@davsync/core';
import { errorResponse } from './error-response';
import { createDavHandler, type DavHandler } from './handler';
import { ClientHangup, methodOf, sendDavResponse, toDavRequest, writeInterim } from './node-http';
import type { DavsyncOptions } from './options';
import { createTusEndpoint } from './uploads/tus-endpoint';

export type NextFunction = (err?: unknown) => void;

export interface DavsyncMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** The engine serving the store. */
  readonly engine: SyncEngine;
  /** WebDAV-Push, when the `push` option turned it on (registrations, `close()`). */
  readonly push: DavHandler['push'];
  /** The change streams, when the `changeStream` option turned them on (`close()` ends them). */
  readonly changeStreams: DavHandler['changeStreams'];
  /** Resumable uploads, when on (`sweep()` removes idle ones). */
  readonly uploads: DavHandler['uploads'];
}

/**
 * Serves a WebDAV store with RFC 6578 sync over any adapter.
 *
 * @example
 * const app = express();
 * app.use('/dav', davsync({ adapter: new MemoryAdapter() }));
 * app.listen(8080);
 */
export function davsync(options: DavsyncOptions): DavsyncMiddleware {
  const handle = createDavHandler(options);
  const userOf = options.user;
  // tus 1.0 speaks Node's req/res through @tus/server, so it is routed here, before the DAV handler.
  const tus = handle.uploads?.options.tus === true ? createTusEndpoint(handle, handle.uploads.store, handle.uploads.options) : undefined;
  const middleware = (req: IncomingMessage, res: ServerResponse, _next?: NextFunction): void => {
    const method = methodOf(req);
    const hangup = new ClientHangup(res, method);
    const interim = (status: number, reason: string, headers: Record<string, string>) => writeInterim(req, res, status, reason, headers);
    let request = toDavRequest(req, method, hangup.signal, interim);
    if (userOf !== undefined) {
      let user: string | undefined;
      try {
        user = userOf(req);
      } catch (err) {
        handle.onError(err);
        res.statusCode = 500;
        res.setHeader('content-length', '0');
        res.end();
        return;
      }
      if (user !== undefined) request = { ...request, user: String(user) };
    }
    if (tus?.matches(request.url) === true) return tus.handle(req, res, request.user);
    handle(request)
      .then((response) => sendDavResponse(req, res, response))
      .catch((err: unknown) => {
        // The client went away and its reads were aborted: nobody to answer, nothing to report.
        if (hangup.happened) {
          res.destroy();
          return;
        }
        // Only a failure while producing a streamed body gets here. Before
        // the headers are out it is answered through the error table like
        // any other (never the host's error page, which may show a stack
        // trace); after, the one honest thing left is to cut the connection.
        if (res.headersSent) {
          handle.onError(err);
          res.destroy();
          return;
        }
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        sendDavResponse(req, res, errorResponse(err, handle.onError)).catch(() => res.destroy());
      });
  };
  return Object.assign(middleware, { engine: handle.engine, push: handle.push, changeStreams: handle.changeStreams, uploads: handle.uploads });
}
