/**
 * File content in memory: taking a body stream in, handing byte ranges out.
 * Stored buffers are never mutated once published, so a reader holding one
 * keeps a consistent version however the member changes afterwards.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ByteRange, ByteStream } from '@davsync/core';

/** A whole body taken from a stream, with the strong ETag that names it. */
export interface StoredContent {
  readonly bytes: Buffer;
  readonly etag: string;
}

/** Size of the pieces a read yields, so large members stream rather than arrive in one chunk. */
const READ_PIECE = 64 * 1024;

/**
 * Drains a body stream into one buffer and hashes it on the way. Every chunk
 * is copied as it arrives, because a producer may reuse its buffers. Nothing
 * is published here: when the stream fails the error propagates and the
 * caller never swaps the old content out.
 *
 * The ETag is the SHA-1 of the media type and the bytes, so equal content gets
 * equal tags (even across stores) and a change of media type alone still
 * changes the tag (RFC 9110 §8.8.3 lets a strong validator cover metadata).
 */
export async function takeContent(body: ByteStream, contentType: string | undefined): Promise<StoredContent> {
  const hash = createHash('sha1').update(contentType ?? '').update('\0');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const copy = Buffer.from(chunk);
    hash.update(copy);
    chunks.push(copy);
    size += copy.length;
  }
  return { bytes: Buffer.concat(chunks, size), etag: hash.digest('hex') };
}

/**
 * Streams `bytes`, or the inclusive `range` of them, in copied pieces so a
 * consumer that mutates what it receives cannot touch the store. Out-of-range
 * values are clamped: the caller has already checked the range against the
 * size.
 */
export function streamContent(bytes: Buffer, range?: ByteRange): ByteStream {
  const start = Math.min(Math.max(range?.start ?? 0, 0), bytes.length);
  const end = range?.end === undefined ? bytes.length : Math.min(range.end + 1, bytes.length);
  return Readable.from(pieces(bytes, start, end), { objectMode: false });
}

function* pieces(bytes: Buffer, start: number, end: number): Generator<Buffer> {
  for (let at = start; at < end; at += READ_PIECE) {
    yield Buffer.from(bytes.subarray(at, Math.min(at + READ_PIECE, end)));
  }
}
