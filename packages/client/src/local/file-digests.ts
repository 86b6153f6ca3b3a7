/**
 * SHA-1 and MD5 of a file's bytes: the two digests `oc:checksums` offers
 * that the client can check. Both are hashed in one read; a download is
 * hashed while it streams to disk, so verifying it costs no second read.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Checksums } from '../remote/remote-entry';
import { reusedReads } from './reused-reads';

/** A pass-through stream that hashes what flows through it; `digests()` once it has ended. */
export class DigestingStream extends Transform {
  private readonly sha1: Hash = createHash('sha1');
  private readonly md5: Hash = createHash('md5');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.sha1.update(chunk);
    this.md5.update(chunk);
    done(null, chunk);
  }

  digests(): Required<Checksums> {
    return { sha1: this.sha1.digest('hex'), md5: this.md5.digest('hex') };
  }
}

/** A file's digests, read through one reused buffer (`reused-reads.ts`: no garbage left for the collector). */
export async function digestFile(file: string): Promise<Required<Checksums>> {
  const sha1 = createHash('sha1');
  const md5 = createHash('md5');
  for await (const chunk of reusedReads(file)) {
    sha1.update(chunk);
    md5.update(chunk);
  }
  return { sha1: sha1.digest('hex'), md5: md5.digest('hex') };
}
