/**
 * What sync shows a user when an `authorize` hook is set, in both modes:
 * the user's view of a delta (members they may read; members they lost
 * access to reported removed) and which collections' tokens they are given.
 */
import type { DeltaAccess } from '@davsync/core';
import type { SyncContext } from '../context';

/**
 * Who reads the report, with an `authorize` hook (else every change is
 * shown): the sync log leaves out the members the user may not read and
 * reports those they lost access to since their token as removed
 * (`SyncLog.revokeAccess`, RFC 6578 §3.5.2), to that user only.
 */
export function deltaAccessOf(ctx: Pick<SyncContext, 'restricted' | 'req' | 'may'>): DeltaAccess | undefined {
  if (!ctx.restricted) return undefined;
  return { user: ctx.req.user, mayRead: (path) => ctx.may('read', path) };
}

/**
 * The current token of the collection at `path` as the user may see it: a
 * user who may not sync the collection gets none (no token they could not
 * use), as for a collection davsync does not sync.
 */
export async function visibleSyncToken(ctx: Pick<SyncContext, 'may' | 'sync'>, path: string): Promise<string | undefined> {
  if (!(await ctx.may('sync', path))) return undefined;
  return ctx.sync.currentToken(path);
}
