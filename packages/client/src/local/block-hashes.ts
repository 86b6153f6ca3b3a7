/**
 * Fixed-size block hashes of local bytes, the same way the server makes
 * its `ds:block-hashes` list (docs/transfer.md): consecutive blocks of the
 * server's block size, the last one shorter, the SHA-256 of each in
 * lowercase hex. The client computes them for its own copy of a file and
 * compares them with the server's list to find the blocks worth moving.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Checksums } from '../remote/remote-entry';
import { reusedReads } from './reused-reads';

/** Cuts whatever is fed to it into blocks and hashes each; `hashes()` once everything is in. */
export class BlockHasher {
  private readonly done: string[] = [];
  private current: Hash = createHash('sha256');
  private filled = 0;

  constructor(readonly blockSize: number) {
    if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new RangeError(`davsync: block size ${blockSize} is not a positive integer`);
  }

  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.byteLength; ) {
      const n = Math.min(this.blockSize - this.filled, bytes.byteLength - at);
      this.current.update(bytes.subarray(at, at + n));
      this.filled += n;
      at += n;
      if (this.filled === this.blockSize) this.closeBlock();
    }
  }

  /** The list so far, the trailing short block included (call once, at the end). */
  hashes(): string[] {
    if (this.filled > 0) this.closeBlock();
    return this.done;
  }

  private closeBlock(): void {
    this.done.push(this.current.digest('hex'));
    this.current = createHash('sha256');
    this.filled = 0;
  }
}

export interface FileBlocks {
  readonly size: number;
  readonly hashes: string[];
  /** The whole file's digests from the same read (an upload's `OC-Checksum`, a conflict's comparison). */
  readonly digests: Required<Checksums>;
}

/** A file's block list and its SHA-1 and MD5, in one read through one reused buffer (`reused-reads.ts`). */
export async function fileBlocks(file: string, blockSize: number): Promise<FileBlocks> {
  const blocks = new BlockHasher(blockSize);
  const sha1 = createHash('sha1');
  const md5 = createHash('md5');
  let size = 0;
  for await (const chunk of reusedReads(file, { bufferBytes: 1024 * 1024 })) {
    blocks.update(chunk);
    sha1.update(chunk);
    md5.update(chunk);
    size += chunk.length;
  }
  return { size, hashes: blocks.hashes(), digests: { sha1: sha1.digest('hex'), md5: md5.digest('hex') } };
}
