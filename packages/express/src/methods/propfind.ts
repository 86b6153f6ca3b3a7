/**
 * PROPFIND (RFC 4918 §9.1): properties of a member and, with Depth 1 or
 * infinity, of what it holds. The multistatus is streamed, one response per
 * member, so a large collection never sits in memory as one document.
 */
import { DavError, type Entry } from '@davsync/core';
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { propertiesOf } from '../properties';
import { multistatusChunks, propstatsOf, type MultistatusResponse } from '../xml/multistatus';
import { parsePropfind, type PropRequest } from '../xml/propfind';
import { parseXmlIfPresent } from '../xml/reader';

export async function handlePropfind(ctx: DavContext): Promise<DavResponse> {
  const depth = ctx.depth() ?? 'infinity'; // §9.1: absent means infinity
  if (depth === 'infinity' && !ctx.options.propfindInfinity) {
    throw new DavError('forbidden', 'davsync: PROPFIND with Depth: infinity is disabled', ctx.path, 'propfind-finite-depth');
  }
  const request = parsePropfind(await parseXmlIfPresent(ctx.req.body, ctx.xmlLimits()));
  const entry = await ctx.existing();
  await ctx.checkPreconditions(entry);
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: multistatusChunks(responses(ctx, entry, request, depth)),
  };
}

async function* responses(ctx: DavContext, entry: Entry, request: PropRequest, depth: 0 | 1 | 'infinity'): AsyncGenerator<MultistatusResponse> {
  yield await responseFor(ctx, entry, request);
  if (depth === 0 || !entry.collection) return;
  const pending: string[] = [entry.path];
  while (pending.length > 0) {
    const dir = pending.shift() as string;
    for await (const member of ctx.engine.adapter.list(dir)) {
      // A member the user may not read is not listed, nor anything below it.
      if (ctx.restricted && !(await ctx.may('read', member.path))) continue;
      yield await responseFor(ctx, member, request);
      if (depth === 'infinity' && member.collection) pending.push(member.path);
    }
  }
}

async function responseFor(ctx: DavContext, entry: Entry, request: PropRequest): Promise<MultistatusResponse> {
  const { found, missing } = await propertiesOf(entry, request, ctx);
  return { href: ctx.href(entry.path, entry.collection), propstats: propstatsOf(found, missing) };
}
