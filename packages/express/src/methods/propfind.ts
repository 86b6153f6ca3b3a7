/**
 * PROPFIND (RFC 4918 §9.1): properties of a member and, with Depth 1 or
 * infinity, of what it holds. The multistatus is streamed, one response per
 * member, so a large collection never sits in memory as one document.
 */
import { DavError, listInBatches, type Entry } from '@davsync/core';
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { entryPropertiesFor, type MemberPropstats } from '../properties/entry-properties';
import { propertiesOf } from '../properties/member-properties';
import { wantsChecksums } from '../properties/checksum-properties';
import { wantsBlockHashes } from '../properties/block-hash-properties';
import { multistatusChunks, parsePropfind, parseXmlIfPresent, propstatsOf, type MultistatusResponse, type PropRequest } from '@davsync/protocol';

export async function handlePropfind(ctx: DavContext): Promise<DavResponse> {
  const depth = ctx.depth() ?? 'infinity'; // §9.1: absent means infinity
  if (depth === 'infinity' && !ctx.options.propfindInfinity) {
    throw new DavError('forbidden', 'davsync: PROPFIND with Depth: infinity is disabled', ctx.path, 'propfind-finite-depth');
  }
  const request = parsePropfind(await parseXmlIfPresent(ctx.req.body, ctx.xmlLimits()));
  const entry = await ctx.existing();
  await checkPreconditions(ctx, entry);
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: multistatusChunks(responses(ctx, entry, request, depth)),
  };
}

/**
 * The responses, a listed folder's a batch at a time (`listInBatches`): a
 * Depth 1 PROPFIND of 10 000 members otherwise spends as long on per-member
 * awaits as on writing the XML.
 */
async function* responses(ctx: DavContext, entry: Entry, request: PropRequest, depth: 0 | 1 | 'infinity'): AsyncGenerator<MultistatusResponse | MultistatusResponse[]> {
  yield await responseFor(ctx, entry, request);
  if (depth === 0 || !entry.collection) return;
  // Most listings ask for getetag and the like: answered without an await per member.
  const fromEntry = entryPropertiesFor(request);
  // Stored checksums cost some stores a lookup: asked for only when wanted, once per batch.
  const readOptions = { ...ctx.readOptions(), checksums: wantsChecksums(request) || wantsBlockHashes(request) };
  const pending: string[] = [entry.path];
  while (pending.length > 0) {
    const dir = pending.shift() as string;
    for await (const batch of listInBatches(ctx.engine.adapter, dir, undefined, readOptions)) {
      const out: MultistatusResponse[] = [];
      for (const member of batch) {
        // A member the user may not read is not listed, nor anything below it.
        if (ctx.restricted && !(await ctx.may('read', member.path))) continue;
        out.push(fromEntry === undefined ? await responseFor(ctx, member, request) : responseOf(ctx, member, fromEntry(member)));
        if (depth === 'infinity' && member.collection) pending.push(member.path);
      }
      yield out;
    }
  }
}

async function responseFor(ctx: DavContext, entry: Entry, request: PropRequest): Promise<MultistatusResponse> {
  return responseOf(ctx, entry, await propertiesOf(entry, request, ctx));
}

function responseOf(ctx: DavContext, entry: Entry, { found, missing }: MemberPropstats): MultistatusResponse {
  return { href: ctx.href(entry.path, entry.collection), propstats: propstatsOf(found, missing) };
}
