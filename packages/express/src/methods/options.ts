/** OPTIONS (RFC 4918 §9.1 / §18): compliance classes and allowed methods. */
import type { DavResponse } from '../dav-request';
import { ALLOW } from '../error-response';

export async function handleOptions(): Promise<DavResponse> {
  // Classes 1, 2 (write locks) and 3 (RFC 4918 §18).
  return { status: 200, headers: { dav: '1, 2, 3', allow: ALLOW, 'ms-author-via': 'DAV', 'content-length': '0' } };
}
