/**
 * The hashes of one body, updated together and digested together: the
 * same code on the hashing thread (`checksum-worker.ts`) and on the request
 * thread (`checksums.ts`). Names are Node's algorithm names plus
 * {@link BLOCKS_ALGORITHM}. With both `sha256` and block hashes, the block
 * hasher shares the whole-body SHA-256 (see {@link BlockHasher}), so the
 * first 4 MiB are not hashed with SHA-256 twice. Loads nothing but
 * node:crypto: the hashing thread imports it.
 */
import { createHash, type Hash } from 'node:crypto';
import { BLOCK_SIZE, BlockHasher, BLOCKS_ALGORITHM, type StreamHasher } from './block-hashes';

export class HashSet {
  /** What `update` feeds; a SHA-256 shared with the block hasher is fed by it, not here. */
  readonly #fed: StreamHasher[] = [];
  /** Digested in this order: the block hasher before the SHA-256 it copies from. */
  readonly #named: Array<readonly [string, StreamHasher]> = [];

  constructor(names: readonly string[]) {
    const shared = names.includes(BLOCKS_ALGORITHM) && names.includes('sha256') ? createHash('sha256') : undefined;
    if (names.includes(BLOCKS_ALGORITHM)) {
      const blocks = new BlockHasher(BLOCK_SIZE, shared);
      this.#fed.push(blocks);
      this.#named.push([BLOCKS_ALGORITHM, blocks]);
    }
    for (const name of names) {
      if (name === BLOCKS_ALGORITHM) continue;
      const hash: Hash = name === 'sha256' && shared !== undefined ? shared : createHash(name);
      if (hash !== shared) this.#fed.push(hash);
      this.#named.push([name, hash]);
    }
  }

  update(bytes: Uint8Array): void {
    for (const hash of this.#fed) hash.update(bytes);
  }

  /** Lowercase hex digests by name; the set is finished after it. */
  digests(): Record<string, string> {
    return Object.fromEntries(this.#named.map(([name, hash]) => [name, hash.digest('hex')]));
  }
}
