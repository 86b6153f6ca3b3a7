/**
 * Content checksums of a member (issue 17): SHA-1, MD5 and SHA-256 of its
 * bytes, computed while a write's body streams through — never by reading
 * the content a second time — and stored with the member by its adapter.
 * Sync clients (rclone's owncloud/nextcloud dialects) compare them instead
 * of downloading to check a copy. They are not ETags: `Entry.etag` stays
 * what each store makes it.
 */
import { BLOCKS_ALGORITHM, isBlockList } from './block-hashes';
import { BodyHasher } from './body-hasher';
import type { WriteOptions } from './adapter';
import type { ByteStream } from './entry';
import { DavError } from './errors';
import { BATCH_BYTES, type HashingWarning } from './hashing-thread';
import { passAdoption } from './uploads/adoptable-body';

/** A checksum algorithm davsync computes. */
export type ChecksumAlgorithm = 'sha1' | 'md5' | 'sha256';

/** Every algorithm, in the order they are reported. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha1', 'md5', 'sha256'];

/**
 * Which digests a deployment computes of each upload: `true` (the default)
 * all three, `false` none, or `{ algorithms }` only those — a deployment
 * whose clients compare only MD5 (rclone's owncloud vendor) or SHA-1
 * (Nextcloud's) need not pay for the rest. See docs/clients.md.
 */
export type ChecksumsOption = boolean | { readonly algorithms: readonly ChecksumAlgorithm[] };

/** The algorithms a {@link ChecksumsOption} computes, in reporting order (none for `false`). */
export function checksumAlgorithmsOf(option: ChecksumsOption | undefined): readonly ChecksumAlgorithm[] {
  if (option === undefined || option === true) return CHECKSUM_ALGORITHMS;
  if (option === false) return [];
  return CHECKSUM_ALGORITHMS.filter((a) => option.algorithms.includes(a));
}

/**
 * Digests of a member's content, lowercase hex; an algorithm not computed
 * is absent. `blocks`: the SHA-256 of each fixed-size block
 * (`block-hashes.ts`), computed with `sha256`, in the stored form
 * `<block size>:<hex> <hex> …`.
 */
export type Checksums = Readonly<Partial<Record<ChecksumAlgorithm, string>>> & { readonly blocks?: string };

/** Node's name of each algorithm. */
const NODE_NAME: Readonly<Record<ChecksumAlgorithm, string>> = { sha1: 'sha1', md5: 'md5', sha256: 'sha256' };

/** Hex digits of each algorithm's digest. */
export const DIGEST_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = { sha1: 40, md5: 32, sha256: 64 };

/** A body whose bytes are hashed as they pass, and the digests once it has ended. */
export interface HashedBody {
  readonly body: ByteStream;
  /** The digests of every byte the body yielded. Rejects if the body has not been read to its end. */
  digests(): Promise<Checksums>;
}

/**
 * Wraps `body` so its bytes are hashed with `algorithms` as the consumer
 * pulls them: one pass, no second read, memory bounded. Each chunk is
 * copied before it is handed on (a producer may reuse its buffers). A body
 * that ends within {@link BATCH_BYTES} is hashed on the calling thread (for
 * a small file that is cheaper than the round trip); a longer one goes to
 * the hashing threads (`body-hasher.ts`, `hashing-thread.ts`) batch by
 * batch, which hold the body back when they fall behind.
 *
 * @example
 * const hashed = hashWhileReading(req, CHECKSUM_ALGORITHMS);
 * await pipeline(hashed.body, file);
 * await hashed.digests(); // { sha1: '…', md5: '…', sha256: '…' }
 */
export function hashWhileReading(body: ByteStream, algorithms: readonly ChecksumAlgorithm[], onWarning: HashingWarning = console.warn): HashedBody {
  // Block hashes come with SHA-256: the same bytes, cut at block boundaries.
  const blocks = algorithms.includes('sha256');
  const names = [...algorithms.map((a) => NODE_NAME[a]), ...(blocks ? [BLOCKS_ALGORITHM] : [])];
  let result: Promise<Checksums> | undefined;
  async function* pass(): AsyncGenerator<Uint8Array> {
    const hasher = new BodyHasher(names, onWarning);
    let ended = false;
    try {
      for await (const chunk of body) {
        // Most chunks only fill a batch: nothing to await, no microtask per chunk.
        const behind = hasher.add(chunk);
        if (behind !== undefined) await behind;
        yield chunk;
      }
      result = hasher.end().then(byAlgorithm);
      // Awaited by `digests()`; a failure must not count as unhandled meanwhile.
      result.catch(() => undefined);
      ended = true;
    } finally {
      if (!ended) hasher.abort();
    }
  }
  /** Digests by Node name (and the block list's) → `Checksums`. */
  const byAlgorithm = (d: Record<string, string>): Checksums => {
    const out: Record<string, string> = Object.fromEntries(algorithms.map((a) => [a, d[NODE_NAME[a]] as string]));
    if (blocks && d[BLOCKS_ALGORITHM] !== undefined) out['blocks'] = d[BLOCKS_ALGORITHM];
    return out;
  };
  return {
    body: pass(),
    digests: () => result ?? Promise.reject(new Error('davsync: checksums asked for before the body was read to its end')),
  };
}

/** The checksums of a whole stream (a file written by another program), read once. */
export async function checksumsOf(content: ByteStream, algorithms: readonly ChecksumAlgorithm[] = CHECKSUM_ALGORITHMS): Promise<Checksums> {
  const hashed = hashWhileReading(content, algorithms);
  for await (const _ of hashed.body) {
    // Only the hashes are wanted.
  }
  return await hashed.digests();
}

/**
 * Throws `bad-request` when a digest the client announced differs from the
 * one computed (the upload was damaged, or the client is wrong). Algorithms
 * not announced are not compared.
 */
export function verifyChecksums(path: string, actual: Checksums, expected: Checksums): void {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const want = expected[algorithm];
    if (want === undefined) continue;
    const got = actual[algorithm];
    if (got !== want.toLowerCase()) {
      throw new DavError('bad-request', `the body's ${algorithm.toUpperCase()} checksum is ${got ?? 'unknown'}, not the expected ${want.toLowerCase()}: nothing was stored`, path);
    }
  }
}

/** What the engine does about checksums on a write. */
export interface ChecksumPolicy {
  /** Compute (and let the adapter store) `algorithms`. When false, only those in `expected` are computed. */
  readonly compute: boolean;
  /** What `compute` computes; default all ({@link CHECKSUM_ALGORITHMS}). Those in `expected` are computed too. */
  readonly algorithms?: readonly ChecksumAlgorithm[] | undefined;
  /** Digests the client announced (an `OC-Checksum` header); a mismatch fails the write before anything is stored. */
  readonly expected?: Checksums | undefined;
  /** Where a failure of the hashing thread is told (`hashing-thread.ts`). Default: console.warn. */
  readonly onWarning?: HashingWarning | undefined;
}

/**
 * The body and write options that make an adapter store checksums (and
 * verify the expected ones): the body hashed as it streams, and the
 * `checksums` hook, which the adapter calls once the body has ended and
 * before the write becomes visible. Options that already carry a hook, or
 * a policy with nothing to compute, pass through unchanged.
 */
export function checksummedWrite(path: string, body: ByteStream, options: WriteOptions, policy: ChecksumPolicy): { body: ByteStream; options: WriteOptions } {
  if (options.checksums !== undefined) return { body, options };
  const expected = policy.expected ?? {};
  const wanted = policy.compute ? (policy.algorithms ?? CHECKSUM_ALGORITHMS) : [];
  const algorithms = CHECKSUM_ALGORITHMS.filter((a) => wanted.includes(a) || expected[a] !== undefined);
  if (algorithms.length === 0) return { body, options };
  const hashed = hashWhileReading(body, algorithms, policy.onWarning);
  const checksums = async (): Promise<Checksums> => {
    const actual = await hashed.digests();
    verifyChecksums(path, actual, expected);
    return actual;
  };
  // Hashing yields every byte unchanged: an adoptable upload stays adoptable.
  return { body: passAdoption(body, hashed.body), options: { ...options, checksums } };
}

/** True for a well-formed `Checksums` value (lowercase hex of the right length, known algorithms only). */
export function isChecksums(value: unknown): value is Checksums {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).every(
    ([a, hex]) =>
      (a === 'blocks' && isBlockList(hex)) ||
      (Object.hasOwn(DIGEST_LENGTH, a) && typeof hex === 'string' && hex.length === DIGEST_LENGTH[a as ChecksumAlgorithm] && /^[0-9a-f]+$/.test(hex)),
  );
}
