/**
 * PUT (RFC 9110 §9.3.4, RFC 4918 §9.7): streams the body to the store;
 * 201 when created, 204 when replaced, with the new ETag. The parent must
 * exist (409); a collection cannot be PUT to (405).
 *
 * The ownCloud dialect's `X-OC-Mtime` (Unix seconds) gives the content the
 * client's modification time, answered `X-OC-MTime: accepted` when the
 * store kept it; a value that is not a time is a 400 before the body is
 * read, so nothing is stored. See docs/clients.md.
 */
import { badRequest, DavError } from '@davsync/core';
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { parseEtagList, parseOcMtime } from '@davsync/protocol';
import { quoteEtag } from '../properties/entry-properties';
import { parseOcChecksum } from '../properties/checksum-properties';

export async function handlePut(ctx: DavContext): Promise<DavResponse> {
  // RFC 9110 §14.5: a partial PUT must not be taken for a whole one.
  if (ctx.header('content-range') !== undefined) throw badRequest('davsync: PUT with Content-Range is not supported');
  const clientTime = parseOcMtime(ctx.header('x-oc-mtime'));
  // A store that cannot keep client times stores its own, and says nothing.
  const modified = ctx.engine.adapter.setModified === undefined ? undefined : clientTime;
  // ownCloud's dialect (checksum-properties.ts): refused now if malformed; a mismatch fails the write, storing nothing.
  const expectedChecksums = parseOcChecksum(ctx.header('oc-checksum'));
  const before = await ctx.engine.adapter.stat(ctx.path);
  if (before?.collection || ctx.path === '/') throw new DavError('method-not-allowed', 'cannot PUT to a collection', ctx.path);
  await checkPreconditions(ctx, before, { locks: [{ path: ctx.path }] });
  const { entry, created } = await ctx.engine.write(ctx.path, ctx.req.body, {
    ...contentTypeOf(ctx),
    ...expectedEtagOf(ctx, before?.etag),
    ...(modified === undefined ? {} : { modified }),
    ...(expectedChecksums === undefined ? {} : { expectedChecksums }),
  });
  const headers: Record<string, string> = { etag: quoteEtag(entry.etag), 'content-length': '0' };
  if (modified !== undefined) headers['x-oc-mtime'] = 'accepted';
  // What Nextcloud answers too, so a client learns the ID without a PROPFIND.
  if (entry.fileId !== undefined) headers['oc-fileid'] = entry.fileId;
  return { status: created ? 201 : 204, headers };
}

function contentTypeOf(ctx: DavContext): { contentType?: string } {
  const ct = ctx.header('content-type');
  return ct === undefined || ct.length > 255 ? {} : { contentType: ct };
}

/**
 * Turns the preconditions just checked into a compare-and-set for the store,
 * so a concurrent writer between the check and the write still loses.
 */
function expectedEtagOf(ctx: DavContext, current: string | undefined): { expectedEtag?: string | null } {
  const ifNoneMatch = ctx.header('if-none-match');
  if (ifNoneMatch !== undefined && parseEtagList(ifNoneMatch) === '*') return { expectedEtag: null };
  if (ctx.header('if-match') !== undefined || ctx.header('if') !== undefined) {
    return current === undefined ? { expectedEtag: null } : { expectedEtag: current };
  }
  return {};
}
