/**
 * Content-Encoding: gzip for the answers that are worth it (RFC 9110
 * §8.4, §12.5.3): the 207s of PROPFIND and REPORT, the collection page, and
 * GETs of text-like files, when the client's Accept-Encoding asks for it.
 * One transform of the finished {@link DavResponse}, so no method handler
 * knows about compression.
 *
 * - Negotiable answers (those that would be compressed for some
 *   Accept-Encoding) carry `Vary: Accept-Encoding`, compressed or not.
 * - Not compressed: other statuses (206 above all: a range is served from
 *   the unencoded bytes, so resuming and block downloads address the
 *   stored file), media types that do not shrink (`compressible.ts`),
 *   bodies under `minBytes` (gzip's header and trailer would eat the gain),
 *   a change stream.
 * - A gzip'd GET carries its own strong ETag, {@link gzipEtag} of the
 *   file's (`"abc"` → `"abc-gzip"`), as RFC 9110 §8.8.3 asks of a different
 *   representation (Apache and Jetty do the same; nginx weakens the tag
 *   instead, which would make If-Match fail, as it compares strongly, for a
 *   client that sends back the tag it got). `preconditions.ts` takes either
 *   tag in If-Match and If-None-Match, so a client that echoes what it
 *   received keeps working; If-Range does not (a range is of the unencoded
 *   bytes, so the gzip tag rightly asks for the whole answer).
 * - A 304 is given the ETag and Vary of the 200 it stands for: `handleGet`
 *   puts the file's Content-Type and size on it, they decide here as for
 *   the 200, and are then removed.
 * - Compressed answers have no Content-Length unless the whole compressed
 *   body was made at once (a short one); long ones go out chunked, a zlib
 *   sync flush per chunk of the unencoded stream (`gzip-stream.ts`).
 */
import { gzipSync } from 'node:zlib';
import type { DavRequest, DavResponse } from '../dav-request';
import { choosesGzip, preferenceOf } from './accept-encoding';
import { isCompressible } from './compressible';
import { FLUSH_BYTES, gzipStream } from './gzip-stream';

/** The `compression` option, resolved. */
export interface CompressionSettings {
  /** zlib level 1–9. */
  readonly level: number;
  /** Bodies shorter than this go out unencoded. */
  readonly minBytes: number;
}

/**
 * Level 4: on a 50 000-member initial sync it is within a few percent of
 * level 6's size at well under its CPU (docs/performance.md, "gzip").
 */
export const DEFAULT_COMPRESSION: CompressionSettings = Object.freeze({ level: 4, minBytes: 1024 });

const NEGOTIABLE_METHODS = new Set(['GET', 'HEAD', 'PROPFIND', 'REPORT']);
const GZIP_SUFFIX = '-gzip';

/**
 * The strong ETag of the gzip'd representation of a file whose unencoded
 * one has `etag` (quoted); a weak tag is left alone (there is none today).
 *
 * @example gzipEtag('"abc"') === '"abc-gzip"'
 */
export function gzipEtag(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? `${etag.slice(0, -1)}${GZIP_SUFFIX}"` : etag;
}

/** The response, gzip'd when the request and the response allow it. */
export async function compressResponse(req: DavRequest, res: DavResponse, settings: CompressionSettings | undefined): Promise<DavResponse> {
  if (res.status === 304) return notModified(req, res, settings);
  if (settings === undefined || !negotiable(req, res)) return res;
  const headers: Record<string, string> = { ...res.headers, vary: addVary(res.headers['vary']) };
  const pref = preferenceOf(req.headers['accept-encoding']);
  if (!choosesGzip(pref)) return { ...res, headers };
  // With identity refused (q=0), even a short body is encoded rather than sent as something the client said it cannot take.
  const minBytes = pref.identity === 0 ? 0 : settings.minBytes;
  const declared = res.headers['content-length'];
  if (declared !== undefined && Number(declared) < minBytes) return { ...res, headers };
  const body = res.body;
  const gzipped = (extra: Partial<DavResponse>): DavResponse => {
    const { 'content-length': _dropped, ...rest } = headers;
    const out: Record<string, string> = { ...rest, 'content-encoding': 'gzip' };
    if (rest['etag'] !== undefined) out['etag'] = gzipEtag(rest['etag']);
    const { body: _body, ...base } = res;
    return { ...base, headers: out, ...extra };
  };
  // HEAD: the headers of the body it stands for.
  if (body === undefined || req.method === 'HEAD') return gzipped({});
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (bytes.byteLength < minBytes) return { ...res, headers };
    return gzipped({ body: gzipSync(bytes, { level: settings.level }) });
  }
  // A streamed body of unknown length: read until it is long enough to be worth it, or ends.
  const { head, rest, ended, size } = await peek(body, Math.max(minBytes, 1));
  if (ended && size < minBytes) return { ...res, headers, body: Buffer.concat(head) };
  if (ended) return gzipped({ body: gzipSync(Buffer.concat(head), { level: settings.level }) });
  // Each compressed chunk is a flush point: written as it comes, never collected first.
  return gzipped({ body: gzipStream(prepend(head, rest), settings.level), live: true });
}

/**
 * A 304 with the ETag and Vary of the 200 it stands for, decided from the
 * Content-Type and Content-Length `handleGet` put on it, which then go: a
 * 304 carries no representation metadata besides its validators (RFC 9110
 * §15.4.5).
 */
async function notModified(req: DavRequest, res: DavResponse, settings: CompressionSettings | undefined): Promise<DavResponse> {
  const as200 = settings === undefined ? res : await compressResponse(req, { ...res, status: 200 }, settings);
  const { 'content-type': _type, 'content-length': _length, 'content-encoding': _coding, ...headers } = as200.headers;
  return { status: 304, headers };
}

/** Could this answer be compressed, for some Accept-Encoding? */
function negotiable(req: DavRequest, res: DavResponse): boolean {
  if (!NEGOTIABLE_METHODS.has(req.method)) return false;
  if (res.status !== 200 && res.status !== 207) return false;
  if (res.live === true || res.headers['content-encoding'] !== undefined || res.headers['content-range'] !== undefined) return false;
  return isCompressible(res.headers['content-type']);
}

function addVary(vary: string | undefined): string {
  if (vary === undefined || vary.trim() === '') return 'Accept-Encoding';
  if (vary.split(',').some((v) => ['accept-encoding', '*'].includes(v.trim().toLowerCase()))) return vary;
  return `${vary}, Accept-Encoding`;
}

interface Peeked {
  readonly head: Buffer[];
  readonly rest: AsyncIterator<string | Uint8Array>;
  readonly ended: boolean;
  readonly size: number;
}

async function peek(body: AsyncIterable<string | Uint8Array>, atLeast: number): Promise<Peeked> {
  const rest = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  while (size < atLeast) {
    const next = await rest.next();
    if (next.done === true) return { head, rest, ended: true, size };
    const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    head.push(bytes);
    size += bytes.length;
  }
  // Read on until the stream's first flush point, or its end, so a short answer gets a Content-Length.
  while (size <= FLUSH_BYTES) {
    const next = await rest.next();
    if (next.done === true) return { head, rest, ended: true, size };
    const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    head.push(bytes);
    size += bytes.length;
  }
  return { head, rest, ended: false, size };
}

/** The peeked chunks, then the rest; returning early ends the rest (a listing stops). */
async function* prepend(head: readonly Buffer[], rest: AsyncIterator<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  let done = false;
  try {
    yield* head;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await rest.return?.();
  }
}
