/**
 * Checks every routed request passes before anything answers it, and the
 * answers for those that do not get that far.
 */
import { DavError } from '@davsync/core';
import type { DavRequest, DavResponse } from '../dav-request';
import { ALLOW } from '../error-response';
import type { ResolvedOptions } from '../options';

/** 405 for a method nothing serves; it is refused before its URL is even looked at. */
export function methodNotAllowed(): DavResponse {
  return { status: 405, headers: { allow: ALLOW, 'content-length': '0' } };
}

/** 414 for a request target over the configured length (thrown, so it is mapped like any error). */
export function checkUrlLength(req: DavRequest, limits: ResolvedOptions['limits']): void {
  if (req.url.length > limits.urlLength) {
    throw new DavError('uri-too-long', `davsync: request target longer than ${limits.urlLength} characters`);
  }
}
