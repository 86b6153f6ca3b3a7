/**
 * Whose lock it is (RFC 4918 §6.4: a lock token belongs to the principal
 * that created the lock). When the middleware knows the request's user
 * (the `user` option), LOCK stores it with the lock, and only that user
 * may then use the token: to write under the lock, to refresh it, to
 * UNLOCK it. Anyone else — another user or an anonymous request — gets
 * 403, so a token seen in a log or a shared lockdiscovery is no key. A
 * lock taken anonymously (no `user` option) has no principal and opens
 * for whoever submits its token, as before.
 */
import { DavError, type ActiveLock } from '@davsync/core';

/** Whether `user` may use `lock`'s token. */
export const mayUseLock = (lock: Pick<ActiveLock, 'principal'>, user: string | undefined): boolean =>
  lock.principal === undefined || lock.principal === user;

/** 403: the submitted lock token belongs to another principal. */
export const notYourLock = (path: string): DavError =>
  new DavError('forbidden', 'davsync: the lock token belongs to another user; only the user who took the lock may use it', path);
