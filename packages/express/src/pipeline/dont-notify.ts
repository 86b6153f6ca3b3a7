/**
 * The scope a request's own changes run in: Push-Dont-Notify
 * (draft-bitfire-webdav-push §5.2) travels with them, so the engine's
 * change listeners (push, change streams) know whom to spare.
 */
import { withoutPushTo } from '@davsync/core';
import type { DavRequest } from '../dav-request';
import type { WebDavPush } from '../push/webdav-push';

/** Runs `write` with the request's Push-Dont-Notify in scope; without push, `*` still spares the change streams. */
export async function underDontNotify<T>(req: DavRequest, push: WebDavPush | undefined, write: () => Promise<T>): Promise<T> {
  const suppression = push !== undefined ? await push.suppressionOf(req) : req.headers['push-dont-notify']?.trim() === '*' ? 'all' : undefined;
  return withoutPushTo(suppression, write);
}
