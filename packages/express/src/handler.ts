/**
 * The framework-neutral WebDAV handler: one `DavRequest` in, one
 * `DavResponse` out. Dispatches on the method; every error, from any
 * method, goes through `errorResponse`.
 */
import { DavError, SyncEngine, withoutPushTo } from '@davsync/core';
import { withIdleTimeout } from './body-timeout';
import { ClientClosedError } from './client-closed';
import type { AccessAction } from './access';
import { DavContext } from './context';
import type { DavRequest, DavResponse } from './dav-request';
import { ALLOW, errorResponse } from './error-response';
import { handleCopyMove } from './methods/copy-move';
import { handleDelete } from './methods/delete';
import { handleGet } from './methods/get-head';
import { handleLock } from './methods/lock';
import { handleMkcol } from './methods/mkcol';
import { handleOptions } from './methods/options';
import { handlePropfind } from './methods/propfind';
import { handleProppatch } from './methods/proppatch';
import { handlePut } from './methods/put';
import { handleUnlock } from './methods/unlock';
import { handleReport } from './sync/report';
import { resolveOptions, type DavsyncOptions, type ResolvedOptions } from './options';
import { handlePushRegister } from './push/register';
import { WebDavPush } from './push/webdav-push';
import { ChangeStreams, wantsEventStream } from './change-stream/change-stream';
import { compressResponse, DEFAULT_COMPRESSION, type CompressionSettings } from './compression/compress-response';
import { handlePatch } from './methods/patch';
import { conflictResponse, ResumableUploads, UploadConflict } from './uploads/resumable-uploads';
import { uploadOptionsSchema } from './uploads/upload-options';

type MethodHandler = (ctx: DavContext) => Promise<DavResponse>;

/**
 * What the user must be allowed to do on the request's target before the
 * method runs (`access.ts`); COPY and MOVE check their destination and
 * subtree themselves, DELETE its subtree.
 */
const TARGET_ACCESS: Readonly<Record<string, AccessAction>> = {
  GET: 'read',
  HEAD: 'read',
  PROPFIND: 'read',
  COPY: 'read',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'write',
  MKCOL: 'write',
  PROPPATCH: 'write',
  MOVE: 'write',
  REPORT: 'sync',
  LOCK: 'write',
  UNLOCK: 'write',
};

const METHODS: Readonly<Record<string, MethodHandler>> = {
  OPTIONS: handleOptions,
  GET: handleGet,
  HEAD: handleGet,
  PUT: handlePut,
  PATCH: handlePatch,
  DELETE: handleDelete,
  MKCOL: handleMkcol,
  COPY: handleCopyMove,
  MOVE: handleCopyMove,
  PROPFIND: handlePropfind,
  PROPPATCH: handleProppatch,
  REPORT: handleReport,
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

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

/** Creates the neutral handler; options are validated here (TypeError on a bad one). */
export function createDavHandler(options: DavsyncOptions): DavHandler {
  const resolved = resolveOptions(options);
  const engine =
    resolved.engine ??
    new SyncEngine({
      adapter: resolved.adapter!,
      // A self-journaling store's journal is the one its engine must use.
      ...(resolved.adapter?.recordsChangesIn === undefined ? {} : { journal: resolved.adapter.recordsChangesIn }),
      ...(resolved.pageSize === undefined ? {} : { pageSize: resolved.pageSize }),
      ...(resolved.retention === undefined ? {} : { retention: resolved.retention }),
      ...(resolved.checksums === undefined ? {} : { checksums: resolved.checksums }),
    });
  const onError = resolved.onError ?? ((err: unknown) => console.error('davsync: unexpected error', err));
  const push = resolved.push === undefined ? undefined : new WebDavPush(resolved.push, engine, resolved.authorize, onError);
  const compression = compressionSettings(resolved.compression);
  const changeStreams = resolved.changeStream === undefined ? undefined : new ChangeStreams(resolved.changeStream, engine, resolved.authorize, onError);
  const uploadStore = engine.adapter.uploads;
  const uploads =
    resolved.uploads === false || uploadStore === undefined ? undefined : new ResumableUploads(uploadStore, uploadOptionsSchema.parse(resolved.uploads ?? {}), onError);
  const makeContext = (r: DavRequest): DavContext => new DavContext(r, engine, resolved, push);
  const handle = async (req: DavRequest): Promise<DavResponse> => {
    // Own keys only: a method token such as `constructor` or `valueOf` must not find Object.prototype's.
    const known = Object.hasOwn(METHODS, req.method) ? METHODS[req.method] : undefined;
    // POST is push-register's (draft-bitfire-webdav-push §4.1), so a method only with push on.
    const method = known ?? (push !== undefined && req.method === 'POST' ? (ctx: DavContext) => handlePushRegister(ctx, push) : undefined);
    if (method === undefined && !(push?.isRegistrationTarget(req) ?? false) && !(uploads?.isUploadTarget(req) ?? false)) {
      return { status: 405, headers: { allow: ALLOW, 'content-length': '0' } };
    }
    try {
      if (req.url.length > resolved.limits.urlLength) {
        throw new DavError('uri-too-long', `davsync: request target longer than ${resolved.limits.urlLength} characters`);
      }
      if (push?.isRegistrationTarget(req) === true) return await push.handleRegistrationUrl(req);
      if (uploads?.isUploadTarget(req) === true) return await uploads.handle({ ...req, body: withIdleTimeout(req.body, resolved.limits.bodyIdleMs) }, makeContext);
      const ctx = new DavContext({ ...req, body: withIdleTimeout(req.body, resolved.limits.bodyIdleMs) }, engine, resolved, push);
      // A change stream carries what a sync REPORT would: the same `sync` access.
      if (changeStreams !== undefined && req.method === 'GET' && wantsEventStream(req.headers['accept'])) {
        await ctx.require('sync', ctx.path);
        return await changeStreams.open(ctx);
      }
      const action = Object.hasOwn(TARGET_ACCESS, req.method) ? TARGET_ACCESS[req.method] : undefined;
      if (action !== undefined) await ctx.require(action, ctx.path);
      // Push-Dont-Notify (§5.2) travels with the request's own changes; without push, `*` still spares the change streams.
      const suppression = push !== undefined ? await push.suppressionOf(req) : req.headers['push-dont-notify']?.trim() === '*' ? 'all' : undefined;
      if (uploads?.isCreation(req) === true) return await withoutPushTo(suppression, () => uploads.create(ctx, makeContext));
      const response = await withoutPushTo(suppression, () => (method as MethodHandler)(ctx));
      // The draft: OPTIONS names the limits of uploads a resource accepts.
      const answered = uploads !== undefined && req.method === 'OPTIONS' ? { ...response, headers: { ...response.headers, 'upload-limit': uploads.limitHeader() } } : response;
      return await compressResponse(req, answered, compression);
    } catch (err) {
      // The client went away and its reads were aborted: nobody to answer,
      // nothing to report; the table's client-closed answer (499), as when
      // the body read fails first.
      if (req.signal?.aborted === true) return errorResponse(new ClientClosedError(err), onError);
      if (err instanceof UploadConflict) return conflictResponse(err);
      return errorResponse(err, onError);
    }
  };
  return Object.assign(handle, { engine, onError, push, changeStreams, uploads });
}

function compressionSettings(option: ResolvedOptions['compression']): CompressionSettings | undefined {
  if (option === false) return undefined;
  if (option === true) return DEFAULT_COMPRESSION;
  return { level: option.level ?? DEFAULT_COMPRESSION.level, minBytes: option.minBytes ?? DEFAULT_COMPRESSION.minBytes };
}
