/**
 * PATCH partial update, in sabre/dav's dialect (also accepted by dufs):
 * `Content-Type: application/x-sabredav-partialupdate` and
 * `X-Update-Range: bytes=START-END` (inclusive), `bytes=START-`, `bytes=-N`
 * (the last N bytes) or `append`. The body replaces that range of an
 * existing file, extending it when it runs past the end.
 *
 * The new version is the old bytes before the range, the body, and the old
 * bytes after it, streamed through the ordinary `engine.write` with the
 * file's ETag as compare-and-set: it appears atomically (a whole new copy
 * is staged — on the fs store a write of the whole file, the cost of
 * atomicity without an in-place journal), is journaled once, gets a new
 * ETag, and a concurrent change makes it a 412. Nothing is held whole.
 * PATCH on an upload URL (`application/partial-upload`) is resumable
 * uploads' and never gets here.
 *
 * ownCloud's headers mean here what they mean on a PUT, of the file the
 * update makes: `X-OC-Mtime` its modification time, `OC-Checksum` the
 * checksum of the whole resulting file (a mismatch is a 400 and stores
 * nothing) — so a client sending a file in several PATCHes can have the
 * last one verify the end result.
 */
import { DavError, type ByteStream, type SyncEngine } from '@davsync/core';
import { parseOcMtime } from '@davsync/protocol';
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { checkPreconditions } from '../preconditions';
import { quoteEtag } from '../properties/entry-properties';
import { parseOcChecksum } from '../properties/checksum-properties';

export const PARTIAL_UPDATE_TYPE = 'application/x-sabredav-partialupdate';

/** Where the body goes: from `start`, and exactly `length` bytes when the range said so. */
interface UpdateRange {
  readonly start: number;
  readonly length?: number;
}

export async function handlePatch(ctx: DavContext): Promise<DavResponse> {
  const type = ctx.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== PARTIAL_UPDATE_TYPE) {
    throw new DavError('unsupported-media-type', `davsync: PATCH takes ${PARTIAL_UPDATE_TYPE} (or application/partial-upload on an upload URL)`);
  }
  const spec = parseUpdateRange(ctx.header('x-update-range'));
  const clientTime = parseOcMtime(ctx.header('x-oc-mtime'));
  // A store that cannot keep client times stores its own, and says nothing.
  const modified = ctx.engine.adapter.setModified === undefined ? undefined : clientTime;
  const expectedChecksums = parseOcChecksum(ctx.header('oc-checksum'));
  const before = await ctx.engine.adapter.stat(ctx.path);
  if (before?.collection || ctx.path === '/') throw new DavError('method-not-allowed', 'cannot PATCH a collection', ctx.path);
  if (before === undefined) throw new DavError('not-found', 'davsync: PATCH updates an existing file', ctx.path);
  await checkPreconditions(ctx, before, { locks: [{ path: ctx.path }] });
  const size = before.size ?? 0;
  const range = resolveRange(spec, size);
  if (range === undefined) return { status: 416, headers: { 'content-range': `bytes */${size}`, 'content-length': '0' } };
  const declared = ctx.header('content-length');
  if (range.length !== undefined && declared !== undefined && Number(declared) !== range.length) {
    throw new DavError('bad-request', 'davsync: X-Update-Range and Content-Length disagree');
  }
  const { entry } = await ctx.engine.write(ctx.path, spliced(ctx.engine, ctx.path, size, range, ctx.req.body), {
    ...(before.contentType === undefined ? {} : { contentType: before.contentType }),
    expectedEtag: before.etag,
    ...(modified === undefined ? {} : { modified }),
    ...(expectedChecksums === undefined ? {} : { expectedChecksums }),
  });
  return { status: 204, headers: { etag: quoteEtag(entry.etag), 'content-length': '0', ...(modified === undefined ? {} : { 'x-oc-mtime': 'accepted' }) } };
}

type RangeSpec = { kind: 'append' } | { kind: 'from'; start: number; end?: number } | { kind: 'suffix'; length: number };

const DIGITS = '([0-9]{1,15})';

function parseUpdateRange(value: string | undefined): RangeSpec {
  if (value === undefined) throw new DavError('bad-request', 'davsync: a partial update needs X-Update-Range');
  const v = value.trim();
  if (v.toLowerCase() === 'append') return { kind: 'append' };
  let m = new RegExp(`^bytes=${DIGITS}-${DIGITS}?$`).exec(v);
  if (m !== null) {
    const start = Number(m[1]);
    if (m[2] === undefined) return { kind: 'from', start };
    const end = Number(m[2]);
    if (end < start) throw new DavError('bad-request', 'davsync: X-Update-Range ends before it starts');
    return { kind: 'from', start, end };
  }
  m = new RegExp(`^bytes=-${DIGITS}$`).exec(v);
  if (m !== null) return { kind: 'suffix', length: Number(m[1]) };
  throw new DavError('bad-request', 'davsync: X-Update-Range must be bytes=START-END, bytes=START-, bytes=-N or append');
}

/** The range against the file's size: `undefined` (416) when it starts past the end (the end itself is an append). */
function resolveRange(spec: RangeSpec, size: number): UpdateRange | undefined {
  if (spec.kind === 'append') return { start: size };
  if (spec.kind === 'suffix') return spec.length > size ? undefined : { start: size - spec.length, length: spec.length };
  if (spec.start > size) return undefined;
  return spec.end === undefined ? { start: spec.start } : { start: spec.start, length: spec.end - spec.start + 1 };
}

/** Old bytes before the range, the body (counted), old bytes after what it replaced. */
async function* spliced(engine: SyncEngine, path: string, size: number, range: UpdateRange, body: ByteStream): AsyncGenerator<Uint8Array> {
  if (range.start > 0) yield* await engine.adapter.read(path, { start: 0, end: range.start - 1 });
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (range.length !== undefined && received > range.length) throw new DavError('bad-request', 'davsync: the body is longer than X-Update-Range');
    yield chunk;
  }
  if (range.length !== undefined && received !== range.length) throw new DavError('bad-request', 'davsync: the body is shorter than X-Update-Range');
  const after = range.start + received;
  if (after < size) yield* await engine.adapter.read(path, { start: after, end: size - 1 });
}
