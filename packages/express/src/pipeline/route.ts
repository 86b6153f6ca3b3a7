/**
 * The pipeline's first step: where a request goes, decided from its method,
 * URL and headers alone (nothing is read from the store, nothing throws).
 * `undefined` is a method davsync does not serve: 405.
 */
import type { AccessAction } from '../access';
import { wantsEventStream, type ChangeStreams } from '../change-stream/change-stream';
import type { DavContext } from '../context';
import type { DavRequest, DavResponse } from '../dav-request';
import { handleCopyMove } from '../methods/copy-move';
import { handleDelete } from '../methods/delete';
import { handleGet } from '../methods/get-head';
import { handleLock } from '../methods/lock';
import { handleMkcol } from '../methods/mkcol';
import { handleOptions } from '../methods/options';
import { handlePatch } from '../methods/patch';
import { handlePropfind } from '../methods/propfind';
import { handleProppatch } from '../methods/proppatch';
import { handlePut } from '../methods/put';
import { handleUnlock } from '../methods/unlock';
import { handlePushRegister } from '../push/register';
import type { WebDavPush } from '../push/webdav-push';
import { handleReport } from '../sync/report';
import type { ResumableUploads } from '../uploads/resumable-uploads';

export type MethodHandler = (ctx: DavContext) => Promise<DavResponse>;

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

/** The optional features a route may lead to; each is absent when its option left it off. */
export interface RouteTargets {
  readonly push: WebDavPush | undefined;
  readonly uploads: ResumableUploads | undefined;
  readonly changeStreams: ChangeStreams | undefined;
}

/** Where a request goes, and the access its target needs (none: the destination checks for itself). */
export type Route =
  /** A push registration's own URL (draft-bitfire-webdav-push §4.2): the registration answers for itself. */
  | { readonly kind: 'push-registration'; readonly push: WebDavPush }
  /** A resumable upload's URL: the upload answers for itself (its owner only). */
  | { readonly kind: 'upload'; readonly uploads: ResumableUploads }
  /** GET asking for `text/event-stream`: carries what a sync REPORT would, so the same `sync` access. */
  | { readonly kind: 'change-stream'; readonly changeStreams: ChangeStreams; readonly access: AccessAction }
  /** A PUT with `Upload-Complete`: creates a resumable upload. */
  | { readonly kind: 'upload-creation'; readonly uploads: ResumableUploads; readonly access: AccessAction }
  /** Any other served method. */
  | { readonly kind: 'method'; readonly run: MethodHandler; readonly access: AccessAction | undefined };

/** Routes a request; `undefined` for a method nothing here serves (405). */
export function routeOf(req: DavRequest, targets: RouteTargets): Route | undefined {
  const { push, uploads, changeStreams } = targets;
  if (push?.isRegistrationTarget(req) === true) return { kind: 'push-registration', push };
  if (uploads?.isUploadTarget(req) === true) return { kind: 'upload', uploads };
  const run = methodHandler(req.method, push);
  if (run === undefined) return undefined;
  if (changeStreams !== undefined && req.method === 'GET' && wantsEventStream(req.headers['accept'])) return { kind: 'change-stream', changeStreams, access: 'sync' };
  // Only a PUT is a creation: the same `write` access as any PUT.
  if (uploads?.isCreation(req) === true) return { kind: 'upload-creation', uploads, access: 'write' };
  return { kind: 'method', run, access: targetAccess(req.method) };
}

function methodHandler(method: string, push: WebDavPush | undefined): MethodHandler | undefined {
  // Own keys only: a method token such as `constructor` or `valueOf` must not find Object.prototype's.
  if (Object.hasOwn(METHODS, method)) return METHODS[method];
  // POST is push-register's (draft-bitfire-webdav-push §4.1), so a method only with push on.
  if (push !== undefined && method === 'POST') return (ctx) => handlePushRegister(ctx, push);
  return undefined;
}

function targetAccess(method: string): AccessAction | undefined {
  return Object.hasOwn(TARGET_ACCESS, method) ? TARGET_ACCESS[method] : undefined;
}
