/**
 * `davsync(options)`: a standard `(req, res, next)` handler for Express 4
 * and 5, Connect and plain `http.createServer` (where `next` is absent).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyncEngine } from '@davsync/core';
import { createDavHandler } from './handler';
import { sendDavResponse, toDavRequest } from './node-http';
import type { DavsyncOptions } from './options';

export type NextFunction = (err?: unknown) => void;

export interface DavsyncMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** The engine serving the store. */
  readonly engine: SyncEngine;
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
  const middleware = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    const request = toDavRequest(req);
    handle(request)
      .then((response) => sendDavResponse(req, res, response))
      .catch((err: unknown) => {
        // Only a failure while streaming a body gets here: headers are out,
        // so the one honest thing left is to cut the connection.
        if (!res.headersSent && next) next(err);
        else res.destroy(err instanceof Error ? err : undefined);
      });
  };
  return Object.assign(middleware, { engine: handle.engine });
}
