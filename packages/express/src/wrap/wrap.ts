/**
 * Wrap mode: RFC 6578 collection synchronization added to an existing
 * WebDAV/CalDAV/CardDAV handler (the host), as a `(req, res, next)`
 * middleware in front of it. davsync answers only what sync needs and
 * passes everything else to the host:
 *
 * - `REPORT sync-collection` on a tracked collection: answered by the same
 *   handler as in full-server mode (`sync/report.ts`), with member
 *   properties from the host's `properties` callback (`report.ts`,
 *   `properties/host-properties.ts`);
 * - PROPFIND asking for `DAV:sync-token` or `DAV:supported-report-set`: the
 *   host answers and davsync merges its two properties into the host's 207
 *   (`propfind.ts`, `propfind-merge.ts`);
 * - `If` headers naming sync tokens: decided before the host sees the
 *   request, 412 when false (`sync-token-gate.ts`, `if-tokens.ts`, `gate.ts`);
 * - writes the host answers with 2xx: recorded before the client gets the
 *   answer (`capture.ts`, `recorder.ts`, `held-response.ts`).
 *
 * Which of them a request meets is `route.ts`; what they share is
 * `wrap-state.ts`; this file is the public API (the middleware, `record`,
 * `adopt`). The sync state is a `SyncLog` alone: the host is the store, and
 * davsync only records what it did. Requests read the members the log has
 * recorded (and an adoption the host's listing; `host-snapshot.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizePath, type SyncLog } from '@davsync/core';
import { errorResponse } from '../error-response';
import type { NextFunction } from '../middleware';
import { sendDavResponse } from '../node-http';
import type { AdoptOptions, AdoptResult } from './adopt';
import type { WrapChange } from './capture';
import { resolveWrapOptions, type HostListing, type WrapOptions } from './options';
import { routeRequest } from './route';
import { WrapState } from './wrap-state';
import type { ChangeStreams } from '../change-stream/change-stream';
import type { WebDavPush } from '../push/webdav-push';

export type { WrapChange } from './capture';

/** The wrap middleware, with the API for changes made outside HTTP. */
export interface DavsyncWrap {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /**
   * The sync state: tokens, deltas, the journal, access changes
   * (`grantAccess`, `revokeAccess`), change events (`onChange`).
   */
  readonly log: SyncLog;
  /** @deprecated The sync log, under its former name: use {@link DavsyncWrap.log}. */
  readonly engine: SyncLog;
  /**
   * Records changes the host made outside HTTP (an import, a database
   * trigger), in order. Changes outside tracked collections, and inside a
   * tracked collection davsync has not adopted yet, are skipped (adopting it
   * later picks them up). Resolves with the number recorded, once they are
   * in the journal.
   */
  record(changes: WrapChange | readonly WrapChange[]): Promise<number>;
  /**
   * Makes the host's existing collections syncable, or brings the journal
   * back in line with the host: compares the listing (every member the host
   * has, with its ETag) with the journal and records the differences.
   */
  adopt(listing: HostListing, options?: AdoptOptions): Promise<AdoptResult>;
  /** True when `path` (a member path) is a tracked collection. */
  isTracked(path: string): boolean;
  /** WebDAV-Push, when the `push` option turned it on (registrations: `push.list`). */
  readonly push: WebDavPush | undefined;
  /** The change streams, when the `changeStream` option turned them on. */
  readonly changeStreams: ChangeStreams | undefined;
  /** Ends the change streams, stops push (deliveries under way are awaited) and closes the journal. */
  close(): Promise<void>;
}

/**
 * Adds RFC 6578 sync to an existing WebDAV/CalDAV/CardDAV handler. Mount it
 * in front of the host; it calls `next()` for everything it leaves to the
 * host.
 *
 * @example
 * const sync = davsyncWrap({
 *   tracked: '/addressbooks/*\/*',
 *   properties: async (members, names) => host.properties(members.map((m) => m.path), names),
 *   list: (path) => host.listBelow(path),
 * });
 * await sync.adopt(host.everything());
 * app.use(sync);
 * app.use(host.router);
 * importJob.on('contact', (path, etag) => sync.record({ path, etag }));
 */
export function davsyncWrap(options: WrapOptions): DavsyncWrap {
  const wrap = new WrapState(resolveWrapOptions(options));
  const middleware = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    routeRequest(wrap, req, res, next).catch((err: unknown) => {
      // Before the headers are out: the error's answer (a refusal such as
      // 412 or 503 busy, or a bare 500 that errorResponse reports).
      // After (a streamed sync report failed): cut the connection.
      if (!res.headersSent) void sendDavResponse(req, res, errorResponse(err, wrap.onError)).catch(() => res.destroy());
      else {
        wrap.onError(err);
        res.destroy();
      }
    });
  };
  return Object.assign(middleware, {
    log: wrap.log,
    engine: wrap.log,
    record: (changes: WrapChange | readonly WrapChange[]) => wrap.recorder.record(changes),
    adopt: (listing: HostListing, adoptOptions?: AdoptOptions) => wrap.adopter.adopt(listing, adoptOptions),
    isTracked: (path: string) => wrap.tracked.isTracked(normalizePath(path)),
    push: wrap.push,
    changeStreams: wrap.changeStreams,
    close: async () => {
      wrap.changeStreams?.close();
      await wrap.push?.close();
      await wrap.log.close();
    },
  });
}
