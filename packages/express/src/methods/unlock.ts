/**
 * UNLOCK (RFC 4918 §9.11): removes the lock named by the `Lock-Token`
 * header; 204. A token that is no live lock whose scope includes the URL
 * is 409 `DAV:lock-token-matches-request-uri`; another user's lock is 403
 * (`lock-principal.ts`). Like LOCK, it changes no ETag and no sync token.
 */
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { tokenNotForThisUrl } from '../locks/lock-errors';
import { mayUseLock, notYourLock } from '../locks/lock-principal';
import { parseLockTokenHeader } from '../locks/lock-request';

export async function handleUnlock(ctx: DavContext): Promise<DavResponse> {
  const token = parseLockTokenHeader(ctx.header('lock-token'));
  const held = await ctx.engine.locks.get(token);
  if (held !== undefined && !mayUseLock(held, ctx.req.user)) throw notYourLock(ctx.path);
  if (!(await ctx.engine.locks.unlock(token, ctx.path))) throw tokenNotForThisUrl(ctx.path);
  return { status: 204, headers: { 'content-length': '0' } };
}
