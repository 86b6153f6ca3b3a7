/**
 * The hashes of one body (`hash-set.ts`) and the block hasher sharing the
 * whole-body SHA-256 (`block-hashes.ts`): the first block's hash is taken
 * from a copy of the whole body's SHA-256, so both must come out exactly as
 * if each had hashed every byte itself, at every block boundary.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { BlockHasher } from '@davsync/core';
import { BLOCK_SIZE, BLOCKS_ALGORITHM } from '../src/block-hashes';
import { HashSet } from '../src/hash-set';
import { splitDigests } from '../src/body-hasher';

const digest = (algorithm: string, data: Uint8Array): string => createHash(algorithm).update(data).digest('hex');

/** The stored block list of `data`, computed independently. */
function blocks(data: Buffer, blockSize: number): string {
  const hashes: string[] = [];
  for (let at = 0; at < data.length; at += blockSize) hashes.push(digest('sha256', data.subarray(at, at + blockSize)));
  return `${blockSize}:${hashes.join(' ')}`;
}

function feed(hasher: { update(b: Uint8Array): unknown }, data: Buffer, chunk: number): void {
  for (let at = 0; at < data.length; at += chunk) hasher.update(data.subarray(at, at + chunk));
}

describe('BlockHasher sharing the whole-body SHA-256', () => {
  it('gives the same blocks, and the whole SHA-256, at and around every boundary', () => {
    for (const size of [0, 1, 999, 1000, 1001, 1999, 2000, 2001, 3500]) {
      const data = randomBytes(size);
      for (const chunk of [1, 7, 1000, 1500, 4096]) {
        const whole = createHash('sha256');
        const h = new BlockHasher(1000, whole);
        feed(h, data, chunk);
        expect([size, chunk, h.digest('hex')]).toEqual([size, chunk, blocks(data, 1000)]);
        expect([size, chunk, whole.digest('hex')]).toEqual([size, chunk, digest('sha256', data)]);
      }
    }
  });

  it('a wrong first block would show: the comparison can fail', () => {
    const whole = createHash('sha256').update('not the body');
    const h = new BlockHasher(1000, whole).update(randomBytes(10));
    expect(h.digest('hex')).not.toBe(blocks(Buffer.alloc(10), 1000));
  });
});

describe('HashSet', () => {
  const names = ['sha1', 'md5', 'sha256', BLOCKS_ALGORITHM];

  it('gives every digest of every byte, for bodies of one block, exactly one, and more', () => {
    for (const size of [0, 5, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE + 12_345]) {
      const data = randomBytes(size);
      const set = new HashSet(names);
      feed(set, data, 65_536 + 3);
      expect(set.digests()).toEqual({
        sha1: digest('sha1', data),
        md5: digest('md5', data),
        sha256: digest('sha256', data),
        [BLOCKS_ALGORITHM]: blocks(data, BLOCK_SIZE),
      });
    }
  });

  it('block hashes without sha256, and sha256 without block hashes, each on its own', () => {
    const data = randomBytes(BLOCK_SIZE + 10);
    const blocksOnly = new HashSet(['md5', BLOCKS_ALGORITHM]);
    blocksOnly.update(data);
    expect(blocksOnly.digests()).toEqual({ md5: digest('md5', data), [BLOCKS_ALGORITHM]: blocks(data, BLOCK_SIZE) });
    const shaOnly = new HashSet(['sha256']);
    shaOnly.update(data);
    expect(shaOnly.digests()).toEqual({ sha256: digest('sha256', data) });
  });
});

describe('splitDigests (the shares of the hashing threads)', () => {
  it('MD5 alone on one thread, SHA-1 + SHA-256 with its block hashes on the other', () => {
    expect(splitDigests(['sha1', 'md5', 'sha256', BLOCKS_ALGORITHM], 2)).toEqual([['md5'], ['sha1', 'sha256', BLOCKS_ALGORITHM]]);
  });

  it('every name exactly once, block hashes never apart from SHA-256, no empty share', () => {
    const cases: string[][] = [['md5'], ['sha1', 'md5'], ['sha256', BLOCKS_ALGORITHM], ['sha1', 'sha256', BLOCKS_ALGORITHM], ['md5', BLOCKS_ALGORITHM]];
    for (const names of cases) {
      for (const lanes of [1, 2]) {
        const shares = splitDigests(names, lanes);
        expect(shares.length).toBeLessThanOrEqual(lanes);
        expect(shares.every((s) => s.length > 0)).toBe(true);
        expect(shares.flat().sort()).toEqual([...names].sort());
        if (names.includes('sha256') && names.includes(BLOCKS_ALGORITHM)) expect(shares.some((s) => s.includes('sha256') && s.includes(BLOCKS_ALGORITHM))).toBe(true);
      }
    }
    expect(splitDigests(['sha1', 'md5', 'sha256', BLOCKS_ALGORITHM], 1)).toHaveLength(1);
  });
});
