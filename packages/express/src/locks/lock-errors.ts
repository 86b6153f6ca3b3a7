/**
 * The refusals of locking (RFC 4918 §16) that name resources: a
 * `DAV:lock-token-submitted` or `DAV:no-conflicting-lock` body lists the
 * roots of the locks in the way as `DAV:href`s, so the client knows which
 * token it is missing. `error-response.ts` writes the hrefs into the body.
 */
import { DavError, type DavErrorCode } from '@davsync/core';

export class LockConditionError extends DavError {
  constructor(
    code: DavErrorCode,
    message: string,
    path: string,
    condition: 'lock-token-submitted' | 'no-conflicting-lock' | 'lock-token-matches-request-uri',
    /** Hrefs of the lock roots concerned, written as `DAV:href` children of the condition. */
    readonly hrefs: readonly string[],
  ) {
    super(code, message, path, condition);
  }
}

/** 423 `DAV:lock-token-submitted`: a write to a locked member without the lock's token. */
export const lockTokenNotSubmitted = (path: string, hrefs: readonly string[]): LockConditionError =>
  new LockConditionError('locked', `davsync: ${path} is locked; submit the lock token in the If header`, path, 'lock-token-submitted', hrefs);

/** 423 `DAV:no-conflicting-lock`: a LOCK that conflicts with a lock held. */
export const conflictingLock = (path: string, hrefs: readonly string[]): LockConditionError =>
  new LockConditionError('locked', `davsync: a lock held conflicts with this LOCK of ${path}`, path, 'no-conflicting-lock', hrefs);

/** 409 `DAV:lock-token-matches-request-uri`: UNLOCK with a token that does not cover the URL. */
export const tokenNotForThisUrl = (path: string): LockConditionError =>
  new LockConditionError('conflict', `davsync: the Lock-Token is not a lock on ${path}`, path, 'lock-token-matches-request-uri', []);
