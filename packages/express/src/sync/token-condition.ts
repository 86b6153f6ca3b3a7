/**
 * A sync token as a state token of the If header (RFC 6578 §5): the
 * condition `(<token>)` on a collection holds exactly while the token is
 * current there. One rule for both modes: full-server preconditions
 * (`preconditions.ts`) and wrap mode's decision on the sync tokens of the
 * host's request (`wrap/sync-token-gate.ts`).
 */
import type { SyncContext } from '../context';

/**
 * Whether `token` is current for the collection at `path` (`undefined`: a
 * reference that leads nowhere here). A collection other than the request's
 * own target that the user may not sync has no current token to them: the
 * target's access was checked before the method ran.
 */
export async function syncTokenHolds(ctx: Pick<SyncContext, 'path' | 'may' | 'sync'>, path: string | undefined, token: string): Promise<boolean> {
  if (path === undefined || (path !== ctx.path && !(await ctx.may('sync', path)))) return false;
  return await ctx.sync.isCurrentToken(path, token);
}
