/**
 * Access control: the host's `authorize` hook, asked for the request's
 * target and for every member davsync would show or touch on the user's
 * behalf. davsync keeps no permissions of its own; it only makes sure no
 * response names or carries a member the hook refused, and that no request
 * changes one.
 *
 * Actions:
 * - `read`: GET/HEAD, PROPFIND (the target and every member listed), the
 *   members of a sync report, the collection page, the source of COPY/MOVE
 *   and every member below it, resources named in an If header;
 * - `write`: PUT, DELETE (and every member below a deleted collection),
 *   MKCOL, PROPPATCH, the destination of COPY/MOVE, the source of MOVE and
 *   every member below it;
 * - `sync`: REPORT sync-collection on the collection.
 *
 * A refused target is 403 whether or not it exists, so the answer says
 * nothing about members the user cannot see.
 */
import { DavError } from '@davsync/core';

export type AccessAction = 'read' | 'write' | 'sync';

/** What the `authorize` hook is asked. */
export interface AccessRequest {
  /** The user the `user` option found for the request (`undefined`: anonymous). */
  readonly user: string | undefined;
  /** The request's HTTP method. */
  readonly method: string;
  /** The member path asked about (it may not exist: a PUT target, a removed member in a sync report). */
  readonly path: string;
  readonly action: AccessAction;
}

/** The host's decision: true allows; anything else refuses. */
export type Authorize = (request: AccessRequest) => boolean | Promise<boolean>;

export function accessDenied(action: AccessAction, path: string): DavError {
  return new DavError('forbidden', `davsync: ${action} access denied`, path, 'need-privileges');
}
