/**
 * tus 1.0 (https://tus.io/protocols/resumable-upload), opt-in with
 * `uploads: { tus: true }`, at `/.tus/` under the mount: @tus/server 1.x
 * speaks the protocol (creation, creation-with-upload, termination,
 * expiration; HEAD, PATCH, DELETE, OPTIONS, CORS), davsync keeps the bytes
 * and does the rest.
 *
 * - Bytes: `UploadStoreTusStore`, over the same `UploadStore` as the IETF
 *   protocol (durable, survives a restart, expires when idle).
 * - Where the upload goes: the tus metadata `path` (a member path, e.g.
 *   `/photos/cat.jpg`) or else `filename` (in the root collection),
 *   checked at creation as the IETF creation checks it (the parent exists,
 *   the target is not a collection); `filetype` becomes the media type.
 * - Who: only the creating user (the `user` option) may see, resume or
 *   cancel an upload; for anyone else it does not exist (404). The
 *   per-user bound of unfinished uploads applies.
 * - Completion: the upload is handed to davsync's own handler as a PUT of
 *   the member (with the upload's stream as its body), so authorization,
 *   locks, quota, checksums and journaling are the PUT's, and on the fs
 *   store the file is renamed into place. A refusal is the tus PATCH's
 *   answer (403, 409, 423, 507…), and the upload is gone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UploadStore } from '@davsync/core';
import { ERRORS, MemoryLocker, Server, type Upload } from '@tus/server';
import type { DavRequest, DavResponse } from '../dav-request';
import { toDavRequest } from '../node-http';
import type { UploadOptions } from './upload-options';
import { newUploadId } from './upload-url';
import { OWNER_KEY, TARGET_KEY, TUS_METADATA, UploadStoreTusStore } from './tus-store';

export const TUS_SEGMENT = '.tus';
const ID = /^[A-Za-z0-9_-]{22}$/;

export interface TusEndpoint {
  /** Whether a request target (relative to the mount) is the tus endpoint's. */
  matches(url: string): boolean;
  /** Answers a tus request; `user` as the `user` option named them. */
  handle(req: IncomingMessage, res: ServerResponse, user: string | undefined): void;
}

/** What the endpoint needs of the middleware: its request handler (for the completing PUT) and the member lookup. */
export interface TusHost {
  (req: DavRequest): Promise<DavResponse>;
  readonly engine: { readonly adapter: { stat(path: string): Promise<{ readonly collection: boolean } | undefined> } };
  readonly onError: (err: unknown) => void;
}

export function createTusEndpoint(host: TusHost, store: UploadStore, options: UploadOptions): TusEndpoint {
  const now = options.now ?? Date.now;
  const users = new WeakMap<IncomingMessage, string | undefined>();
  const datastore = new UploadStoreTusStore(store, options.idleExpirySeconds * 1000, now);
  const server = new Server({
    path: `/${TUS_SEGMENT}`,
    datastore,
    locker: new MemoryLocker(),
    ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
    namingFunction: () => newUploadId(),
    generateUrl: (req, { id }) => {
      const dav = toDavRequest(req);
      return `${dav.origin ?? ''}${dav.base}/${TUS_SEGMENT}/${id}`;
    },
    getFileIdFromRequest: (req) => idOf(req.url ?? ''),
    onIncomingRequest: async (req, _res, id) => {
      if (req.method === 'POST') {
        if ((await store.list(users.get(req))).length >= options.maxPerUser) {
          throw { status_code: 507, body: `davsync: at most ${options.maxPerUser} unfinished uploads per user\n` };
        }
        return;
      }
      // Another user's upload is not theirs to know of: the same 404 as none.
      const record = await store.get(id);
      if (record === undefined || record.owner !== users.get(req)) throw ERRORS.FILE_NOT_FOUND;
    },
    onUploadCreate: async (req, res, upload) => {
      const target = await checkedTarget(host, upload);
      const { [TARGET_KEY]: _t, [OWNER_KEY]: _o, ...metadata } = upload.metadata ?? {};
      const owner = users.get(req);
      return { res, metadata: { ...metadata, [TARGET_KEY]: target, ...(owner === undefined ? {} : { [OWNER_KEY]: owner }) } };
    },
    onUploadFinish: async (req, res, upload) => {
      const response = await complete(host, store, req, upload.id, users.get(req));
      const headers: Record<string, string> = {};
      for (const name of ['etag', 'oc-fileid'] as const) if (response.headers[name] !== undefined) headers[name] = response.headers[name];
      return { res, headers };
    },
  });
  return {
    matches: (url) => {
      const path = url.split(/[?#]/)[0] as string;
      return path === `/${TUS_SEGMENT}` || path.startsWith(`/${TUS_SEGMENT}/`);
    },
    handle: (req, res, user) => {
      users.set(req, user);
      server.handle(req, res).catch((err: unknown) => {
        host.onError(err);
        if (!res.headersSent) res.writeHead(500, { 'content-length': '0' });
        res.end();
      });
    },
  };
}

/** The upload id a request names: the segment after `/.tus/`, when well-formed. */
function idOf(url: string): string | undefined {
  const path = url.split(/[?#]/)[0] as string;
  const rest = path.slice(TUS_SEGMENT.length + 2);
  return path.startsWith(`/${TUS_SEGMENT}/`) && ID.test(rest) ? rest : undefined;
}

/**
 * The member URL an upload becomes (percent-encoded, relative to the
 * mount), refused now when the PUT would surely refuse it: a malformed
 * path, a missing parent, a collection.
 */
async function checkedTarget(host: TusHost, upload: Upload): Promise<string> {
  const given = upload.metadata?.['path'] ?? upload.metadata?.['filename'];
  if (typeof given !== 'string' || given.length === 0 || given.length > 4096) throw reject(400, 'tus metadata needs a `path` (or `filename`) for the upload');
  const segments = given.replace(/^\/+/, '').split('/');
  // eslint-disable-next-line no-control-regex
  if (segments.some((s) => s === '' || s === '.' || s === '..' || /[\x00-\x1f\x7f]/.test(s))) throw reject(400, 'the upload path is malformed');
  if (segments[0] === TUS_SEGMENT || segments[0] === '.uploads') throw reject(409, 'cannot upload into the reserved upload segments');
  const path = `/${segments.join('/')}`;
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  const [member, folder] = await Promise.all([host.engine.adapter.stat(path), host.engine.adapter.stat(parent)]);
  if (folder?.collection !== true) throw reject(409, 'the parent collection does not exist');
  if (member?.collection === true) throw reject(405, 'cannot upload onto a collection');
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

/** The completed upload as a PUT through davsync's handler; the upload is gone afterwards (a refusal is final). */
async function complete(host: TusHost, store: UploadStore, req: IncomingMessage, id: string, user: string | undefined): Promise<DavResponse> {
  const record = await store.get(id);
  if (record === undefined) throw ERRORS.FILE_NOT_FOUND;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.meta ?? {})) if (name !== TUS_METADATA && !name.startsWith('x-tus-')) headers[name] = value;
  const dav = toDavRequest(req);
  let response: DavResponse;
  try {
    response = await host({
      method: 'PUT',
      url: record.target,
      base: dav.base,
      headers,
      body: await store.read(id),
      ...(dav.origin === undefined ? {} : { origin: dav.origin }),
      ...(user === undefined ? {} : { user }),
    });
  } finally {
    await store.remove(id).catch(() => undefined);
  }
  if (response.status >= 400) throw { status_code: response.status, body: `${response.headers['x-davsync-reason'] ?? 'davsync: the upload was refused'}\n` };
  return response;
}

/** A refusal in @tus/server's form (thrown from a hook, it becomes the answer). */
function reject(status: number, message: string): { status_code: number; body: string } {
  return { status_code: status, body: `davsync: ${message}\n` };
}
