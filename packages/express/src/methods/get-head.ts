/**
 * GET and HEAD (RFC 9110 §9.3.1–9.3.2): content with ETag, Last-Modified,
 * Content-Type and Content-Length; If-None-Match → 304; one byte range
 * (RFC 9110 §14) → 206, an unsatisfiable one → 416. A collection answers
 * with an HTML page for people (`collection-page.ts`). A file whose
 * checksums are known says one in `OC-Checksum` (the ownCloud dialect, as
 * Nextcloud sends it; docs/clients.md), of the whole content, on a range too.
 */
import { DavError, type Entry } from '@davsync/core';
import type { DavContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { quoteEtag } from '../properties/entry-properties';
import { ocChecksumHeader } from '../properties/checksum-properties';
import { collectionPage } from './collection-page';

export async function handleGet(ctx: DavContext): Promise<DavResponse> {
  const entry = await ctx.existing();
  try {
    await checkPreconditions(ctx, entry);
  } catch (err) {
    // RFC 9110 §13.1.2: a false If-None-Match on GET/HEAD is 304, not 412.
    if (err instanceof DavError && err.code === 'precondition-failed' && err.message.endsWith('If-None-Match')) {
      // With the Content-Type and size of the 200 it stands for, so `compression/` gives it that 200's ETag.
      const represented: Record<string, string> = entry.collection ? {} : { 'content-type': entry.contentType ?? 'application/octet-stream', 'content-length': String(entry.size ?? 0) };
      return { status: 304, headers: { ...validators(entry), ...represented } };
    }
    throw err;
  }
  if (entry.collection) return collectionPage(ctx, entry);
  const size = entry.size ?? 0;
  const headers: Record<string, string> = {
    ...validators(entry),
    'content-type': entry.contentType ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
  };
  const checksum = ocChecksumHeader(entry);
  if (checksum !== undefined) headers['oc-checksum'] = checksum;
  const range = rangeOf(ctx, entry, size);
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' } };
  }
  if (range !== undefined) {
    const body = ctx.req.method === 'HEAD' ? undefined : await ctx.engine.adapter.read(entry.path, range, ctx.readOptions());
    return {
      status: 206,
      headers: { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${size}`, 'content-length': String(range.end - range.start + 1) },
      ...(body === undefined ? {} : { body }),
    };
  }
  const body = ctx.req.method === 'HEAD' || size === 0 ? undefined : await ctx.engine.adapter.read(entry.path, undefined, ctx.readOptions());
  return { status: 200, headers: { ...headers, 'content-length': String(size) }, ...(body === undefined ? { body: '' } : { body }) };
}

function validators(entry: Entry): Record<string, string> {
  const h: Record<string, string> = { etag: quoteEtag(entry.etag) };
  if (entry.modified !== undefined) h['last-modified'] = entry.modified.toUTCString();
  return h;
}

/**
 * The one byte range asked for, if any and if it applies (RFC 9110 §14.2):
 * ignored when If-Range does not match, or when several ranges are asked
 * for (we then send the whole content, which §14.2 allows).
 */
function rangeOf(ctx: DavContext, entry: Entry, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const header = ctx.header('range');
  if (header === undefined) return undefined;
  const ifRange = ctx.header('if-range');
  if (ifRange !== undefined && ifRange !== quoteEtag(entry.etag)) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size || !Number.isSafeInteger(start)) return 'unsatisfiable';
  return { start, end };
}
