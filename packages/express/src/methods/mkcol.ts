/** MKCOL (RFC 4918 §9.3): creates a collection; 201. A body is 415 (§9.3: we define none). */
import { DavError } from '@davsync/core';
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';

export async function handleMkcol(ctx: DavContext): Promise<DavResponse> {
  for await (const chunk of ctx.req.body) {
    if (chunk.length > 0) throw new DavError('unsupported-media-type', 'davsync: MKCOL with a body is not supported');
  }
  const before = await ctx.engine.adapter.stat(ctx.path);
  if (before !== undefined) throw new DavError('method-not-allowed', 'davsync: a member exists at this URL', ctx.path);
  await checkPreconditions(ctx, undefined, { locks: [{ path: ctx.path }] });
  await ctx.engine.mkcol(ctx.path);
  return { status: 201, headers: { 'content-length': '0' } };
}
