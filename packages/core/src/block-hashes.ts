/**
 * Block hashes (issue 20): a file cut into fixed blocks of
 * {@link BLOCK_SIZE} bytes (the last one shorter), the SHA-256 of each —
 * as Dropbox's content hash does, without its hash of hashes. A client that
 * has an older copy compares the lists and fetches (Range) or sends (PATCH)
 * only the blocks that differ, so a one-byte edit of a 1 GiB file moves one
 * 4 MiB block, not the file.
 *
 * Computed with the other checksums while a body streams in
 * (`checksums.ts`, on the hashing thread for a long body), stored with them
 * as `Checksums.blocks` in the form `<block size>:<hex> <hex> …` (no hashes
 * for an empty file). Loads nothing but node:crypto: the hashing thread
 * imports it.
 */
import { createHash, type Hash } from 'node:crypto';

/** Bytes per block: 4 MiB, a multiple of the hashing thread's batch. */
export const BLOCK_SIZE = 4 * 1024 * 1024;

/** The name the hashing thread knows block hashes by, beside Node's algorithm names. */
export const BLOCKS_ALGORITHM = 'davsync-blocks-sha256';

const STORED = /^[1-9][0-9]{0,15}:(?:[0-9a-f]{64}(?: [0-9a-f]{64})*)?$/;

/** What the hashing code needs of a hash: a node:crypto Hash or a {@link BlockHasher}. */
export interface StreamHasher {
  update(bytes: Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

/** True for a well-formed stored block list. */
export function isBlockList(value: unknown): value is string {
  return typeof value === 'string' && STORED.test(value);
}

/** The parts of a stored block list. */
export function parseBlockList(stored: string): { blockSize: number; hashes: string[] } {
  const colon = stored.indexOf(':');
  const rest = stored.slice(colon + 1);
  return { blockSize: Number(stored.slice(0, colon)), hashes: rest === '' ? [] : rest.split(' ') };
}

/**
 * SHA-256 per block of the bytes given to {@link update}, whatever their
 * chunking; {@link digest} gives the stored form. Shaped like a node:crypto
 * Hash where the hashing code needs it (`update`, `digest`).
 *
 * Given `whole`, a SHA-256 of the whole body that nothing else updates,
 * the hasher feeds it every byte too, and takes the first block's hash from
 * a copy of it rather than hashing those bytes a second time: a body of one
 * block (any file up to 4 MiB) then costs one SHA-256 pass, not two. The
 * caller digests `whole` only after {@link digest}.
 */
export class BlockHasher implements StreamHasher {
  readonly #blockSize: number;
  readonly #whole: Hash | undefined;
  readonly #done: string[] = [];
  #current: Hash | undefined;
  #filled = 0;

  constructor(blockSize = BLOCK_SIZE, whole?: Hash) {
    this.#blockSize = blockSize;
    this.#whole = whole;
  }

  update(bytes: Uint8Array): this {
    for (let at = 0; at < bytes.byteLength; ) {
      const n = Math.min(this.#blockSize - this.#filled, bytes.byteLength - at);
      const piece = bytes.subarray(at, at + n);
      this.#whole?.update(piece);
      if (!this.#inWhole()) (this.#current ??= createHash('sha256')).update(piece);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#blockSize) this.#endBlock();
    }
    return this;
  }

  /** `<block size>:<hex> <hex> …`; the hasher is finished after it. */
  digest(_encoding?: 'hex'): string {
    if (this.#filled > 0) this.#endBlock();
    return `${this.#blockSize}:${this.#done.join(' ')}`;
  }

  /** True while the current block's hash is the whole body's (the first block, with `whole`). */
  #inWhole(): boolean {
    return this.#whole !== undefined && this.#done.length === 0;
  }

  #endBlock(): void {
    const hash = this.#inWhole() ? (this.#whole as Hash).copy() : (this.#current as Hash);
    this.#done.push(hash.digest('hex'));
    this.#current = undefined;
    this.#filled = 0;
  }
}
