/**
 * gzip over a streamed body, keeping the two properties the unencoded
 * stream had:
 *
 * - It still streams. Input is collected until {@link FLUSH_BYTES} (the
 *   multistatus writer's chunk size, `multistatusChunks`), then handed to
 *   zlib with a sync flush (Z_SYNC_FLUSH), and what zlib produced is
 *   yielded. Every chunk the multistatus writer would have written to the
 *   socket is thus on the wire, compressed, before the next one is made:
 *   a client of a long initial sync sees bytes at once, not when the
 *   listing ends. A sync flush keeps the compression dictionary, so it
 *   costs a few bytes per flush, not ratio.
 * - Backpressure. This is a pull generator: the next input is read only
 *   when the response has taken the last output (the sender waits for
 *   `drain`), so at most one chunk of input and its output are held.
 *
 * Returning early (the client went away) ends the source (which stops its
 * listing) and destroys the zlib stream, so nothing is left running.
 */
import { constants, createGzip, type Gzip } from 'node:zlib';

/** Input collected between sync flushes: the multistatus writer's chunk size. */
export const FLUSH_BYTES = 64 * 1024;

export async function* gzipStream(source: AsyncIterable<string | Uint8Array>, level: number, flushBytes = FLUSH_BYTES): AsyncGenerator<Buffer, void, undefined> {
  const gzip = createGzip({ level });
  const output: Buffer[] = [];
  let failure: Error | undefined;
  gzip.on('data', (b: Buffer) => output.push(b));
  gzip.on('error', (err) => {
    failure = err;
  });
  try {
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      pending.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      size += bytes.byteLength;
      if (size < flushBytes) continue;
      await write(gzip, pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
      pending = [];
      size = 0;
      await flush(gzip);
      if (failure !== undefined) throw failure;
      if (output.length > 0) yield output.length === 1 ? (output.pop() as Buffer) : Buffer.concat(output.splice(0));
    }
    if (size > 0) await write(gzip, Buffer.concat(pending));
    await finish(gzip);
    if (failure !== undefined) throw failure;
    if (output.length > 0) yield Buffer.concat(output.splice(0));
  } finally {
    gzip.destroy();
  }
}

function write(gzip: Gzip, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => gzip.write(bytes, (err) => (err ? reject(err) : resolve())));
}

function flush(gzip: Gzip): Promise<void> {
  return new Promise((resolve) => gzip.flush(constants.Z_SYNC_FLUSH, () => resolve()));
}

/** Ends the stream and waits until the last output (the gzip trailer) has been emitted. */
function finish(gzip: Gzip): Promise<void> {
  return new Promise((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
    gzip.end();
  });
}
