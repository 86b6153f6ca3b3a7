/** DELETE (RFC 4918 §9.6): removes a member, a collection with all it holds; 204. */
import { badRequest, DavError } from '@davsync/core';
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';

export async function handleDelete(ctx: DavContext): Promise<DavResponse> {
  const entry = await ctx.existing();
  // §9.6.1: a DELETE of a collection acts as Depth: infinity; any other Depth is an error.
  const depth = ctx.header('depth');
  if (entry.collection && depth !== undefined && depth.trim().toLowerCase() !== 'infinity') {
    throw badRequest('davsync: DELETE of a collection needs Depth: infinity');
  }
  if (ctx.path === '/') throw new DavError('forbidden', 'davsync: the root collection cannot be deleted', '/');
  await checkPreconditions(ctx, entry, { locks: [{ path: ctx.path, below: entry.collection }] });
  if (entry.collection) await ctx.requireBelow('write', ctx.path);
  await ctx.engine.remove(ctx.path);
  // RFC 4918 §9.6: the locks of what was deleted go with it.
  await ctx.engine.locks.removeWithin(ctx.path);
  return { status: 204, headers: { 'content-length': '0' } };
}
