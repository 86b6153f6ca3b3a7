/**
 * The scope a request's own changes run in: Push-Dont-Notify
 * (draft-bitfire-webdav-push §5.2) travels with them, so the engine's
 * change listeners (push, change streams) know whom to spare.
 */
import { withoutPushTo } from '@davsync/core';
import type { DavRequest } from '../dav-request';
import type { WebDavPush } from '../push/webdav-push';

/**
 * Runs `write` with the request's Push-Dont-Notify in scope; without push, `*` still spares the change streams.
 * Not an async function: every request passes here, and without push there is nothing to wait for.
 */
export function underDontNotify<T>(req: DavRequest, push: WebDavPush | undefined, write: () => Promise<T>): Promise<T> {
  if (push !== undefined) return push.suppressionOf(req).then((suppression) => withoutPushTo(suppression, write));
  return withoutPushTo(req.headers['push-dont-notify']?.trim() === '*' ? 'all' : undefined, write);
}
