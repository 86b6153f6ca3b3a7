/** OPTIONS (RFC 4918 §9.1 / §18): compliance classes and allowed methods. */
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { ALLOW } from '../error-response';
import { PARTIAL_UPDATE_TYPE } from './patch';

export async function handleOptions(ctx: DavContext): Promise<DavResponse> {
  // Classes 1, 2 (write locks) and 3 (RFC 4918 §18); `webdav-push` when push is on
  // (draft-bitfire-webdav-push §3), which also takes POST (push-register).
  const push = ctx.push !== undefined;
  const dav = push ? '1, 2, 3, webdav-push' : '1, 2, 3';
  return { status: 200, headers: { dav, allow: push ? `${ALLOW}, POST` : ALLOW, 'ms-author-via': 'DAV', 'accept-patch': PARTIAL_UPDATE_TYPE, 'content-length': '0' } };
}
