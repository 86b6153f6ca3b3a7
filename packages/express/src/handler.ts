/**
 * The framework-neutral WebDAV handler: one `DavRequest` in, one
 * `DavResponse` out, through one pipeline (`pipeline/`):
 *
 * 1. route: push registration URL, upload URL, change stream, upload
 *    creation or method (`route.ts`); nothing served → 405;
 * 2. checks: URL length (414), then the target's access (403);
 * 3. run: changes happen under the request's Push-Dont-Notify (`dont-notify.ts`);
 * 4. response transforms on a method's answer: upload limit on OPTIONS, gzip;
 * 5. error mapping: every error, from any step, becomes one answer.
 */
import { SyncEngine } from '@davsync/core';
import { withIdleTimeout } from './body-timeout';
import { ChangeStreams } from './change-stream/change-stream';
import { DavContext } from './context';
import type { DavRequest, DavResponse } from './dav-request';
import { resolveOptions, type DavsyncOptions, type ResolvedOptions } from './options';
import { underDontNotify } from './pipeline/dont-notify';
import { answerError } from './pipeline/error-mapping';
import { checkUrlLength, methodNotAllowed } from './pipeline/request-checks';
import { compressionSettings, transformResponse, type ResponseTransforms } from './pipeline/response-transforms';
import { routeOf, type Route, type RouteTargets } from './pipeline/route';
import { WebDavPush } from './push/webdav-push';
import { ResumableUploads } from './uploads/resumable-uploads';
import { uploadOptionsSchema } from './uploads/upload-options';

export interface DavHandler {
  (req: DavRequest): Promise<DavResponse>;
  /** The engine serving the store: call it to record changes, compact, or close. */
  readonly engine: SyncEngine;
  /** Where unexpected errors are reported (the `onError` option). */
  readonly onError: (err: unknown) => void;
  /** WebDAV-Push, when the `push` option turned it on: its registrations (`push.list`), and `push.close()`. */
  readonly push: WebDavPush | undefined;
  /** The change streams, when the `changeStream` option turned them on; `close()` ends every open one. */
  readonly changeStreams: ChangeStreams | undefined;
  /** Resumable uploads, when the store keeps them and the `uploads` option is not `false`; `sweep()` removes idle ones. */
  readonly uploads: ResumableUploads | undefined;
}

/** Everything the pipeline's steps need, built once per handler. */
interface Pipeline extends RouteTargets, ResponseTransforms {
  readonly engine: SyncEngine;
  readonly options: ResolvedOptions;
  readonly onError: (err: unknown) => void;
}

/** Creates the neutral handler; options are validated here (TypeError on a bad one). */
export function createDavHandler(options: DavsyncOptions): DavHandler {
  const resolved = resolveOptions(options);
  const engine = resolved.engine ?? engineFor(resolved);
  const onError = resolved.onError ?? ((err: unknown) => console.error('davsync: unexpected error', err));
  const push = resolved.push === undefined ? undefined : new WebDavPush(resolved.push, engine, resolved.authorize, onError);
  const changeStreams = resolved.changeStream === undefined ? undefined : new ChangeStreams(resolved.changeStream, engine, resolved.authorize, onError);
  const uploadStore = engine.adapter.uploads;
  const uploads =
    resolved.uploads === false || uploadStore === undefined ? undefined : new ResumableUploads(uploadStore, uploadOptionsSchema.parse(resolved.uploads ?? {}), onError);
  const pipeline: Pipeline = { engine, options: resolved, onError, push, changeStreams, uploads, compression: compressionSettings(resolved.compression) };
  const handle = async (req: DavRequest): Promise<DavResponse> => {
    const route = routeOf(req, pipeline);
    if (route === undefined) return methodNotAllowed();
    try {
      checkUrlLength(req, resolved.limits);
      return await run(route, req, pipeline);
    } catch (err) {
      return answerError(err, req, onError);
    }
  };
  return Object.assign(handle, { engine, onError, push, changeStreams, uploads });
}

function engineFor(resolved: ResolvedOptions): SyncEngine {
  return new SyncEngine({
    adapter: resolved.adapter!,
    // A self-journaling store's journal is the one its engine must use.
    ...(resolved.adapter?.recordsChangesIn === undefined ? {} : { journal: resolved.adapter.recordsChangesIn }),
    ...(resolved.pageSize === undefined ? {} : { pageSize: resolved.pageSize }),
    ...(resolved.retention === undefined ? {} : { retention: resolved.retention }),
    ...(resolved.checksums === undefined ? {} : { checksums: resolved.checksums }),
  });
}

/** Steps 2–4 for a routed request whose URL passed. */
async function run(route: Route, req: DavRequest, p: Pipeline): Promise<DavResponse> {
  const makeContext = (r: DavRequest): DavContext => new DavContext(r, p.engine, p.options, p.push);
  // A body that stops arriving must not hold the request forever.
  const timed = (r: DavRequest): DavRequest => ({ ...r, body: withIdleTimeout(r.body, p.options.limits.bodyIdleMs) });
  switch (route.kind) {
    case 'push-registration':
      return route.push.handleRegistrationUrl(req);
    case 'upload':
      return route.uploads.handle(timed(req), makeContext);
    default:
      break;
  }
  const ctx = makeContext(timed(req));
  if (route.access !== undefined) await ctx.require(route.access, ctx.path);
  switch (route.kind) {
    case 'change-stream':
      return route.changeStreams.open(ctx);
    case 'upload-creation':
      return underDontNotify(req, p.push, () => route.uploads.create(ctx, makeContext));
    case 'method':
      return transformResponse(req, await underDontNotify(req, p.push, () => route.run(ctx)), p);
  }
}
