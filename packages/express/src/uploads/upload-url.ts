/**
 * Upload resources live under one reserved segment of the mount,
 * `/.uploads/<id>`, outside the store's namespace (as push's registration
 * URLs live under `/.webdav-push/`): with resumable uploads on, no member of
 * that name is reachable. The id is 128 random bits, so the URL cannot be
 * guessed; only the creating user may use it anyway.
 */
import { randomBytes } from 'node:crypto';
import type { DavRequest } from '../dav-request';

export const UPLOAD_SEGMENT = '.uploads';

const ID = /^[A-Za-z0-9_-]{22}$/;

export function newUploadId(): string {
  return randomBytes(16).toString('base64url');
}

/** The absolute URL of upload `id`, as `Location` gives it (relative without an origin). */
export function uploadUrl(req: Pick<DavRequest, 'origin' | 'base'>, id: string): string {
  return `${req.origin ?? ''}${req.base}/${UPLOAD_SEGMENT}/${id}`;
}

/**
 * What a request target under the reserved segment names: `{ id }` for a
 * well-formed upload URL, `{}` for anything else there; `undefined` when
 * the target is not under it (an ordinary request).
 */
export function uploadTarget(url: string): { id?: string } | undefined {
  const cut = url.search(/[?#]/);
  const path = cut < 0 ? url : url.slice(0, cut);
  const prefix = `/${UPLOAD_SEGMENT}`;
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  const rest = path.slice(prefix.length + 1);
  return ID.test(rest) ? { id: rest } : {};
}
