/** The pure decisions of the delta transfer: what to fetch, what to PATCH, how ranges are joined; and the block hasher. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { coalesce, changedRanges, chunkPlan, rebuildPlan, bytesIn } from '../src/sync/block-diff';
import { BlockHasher } from '../src/local/block-hashes';

describe('rebuildPlan', () => {
  it('copies the blocks the local copy has at the same place, fetches the others, merging neighbours', () => {
    // 5 blocks of 10 bytes, the last one 5 bytes: block 2 and 3 changed.
    expect(rebuildPlan(['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'X', 'Y', 'e'], 10, 45)).toEqual([
      { from: 'local', start: 0, end: 20, at: 0 },
      { from: 'remote', start: 20, end: 40 },
      { from: 'local', start: 40, end: 45, at: 40 },
    ]);
  });
  it('finds a block that moved to another block boundary, and fetches everything for an empty local copy', () => {
    expect(rebuildPlan(['a', 'b'], ['b', 'a', 'z'], 10, 25)).toEqual([
      { from: 'local', start: 0, end: 10, at: 10 },
      { from: 'local', start: 10, end: 20, at: 0 },
      { from: 'remote', start: 20, end: 25 },
    ]);
    expect(rebuildPlan([], ['a', 'b'], 10, 20)).toEqual([{ from: 'remote', start: 0, end: 20 }]);
  });
});

describe('chunkPlan', () => {
  const c = (offset: number, length: number, hash: string) => ({ offset, length, hash });
  it('copies chunks the local copy has at any offset (shifted by an insertion), fetches the new one, merging neighbours', () => {
    // Local: a(0-10) b(10-25) c(25-30); the server's: a, then N (b with bytes inserted, 18 long), then c at its new offset.
    expect(chunkPlan([c(0, 10, 'a'), c(10, 15, 'b'), c(25, 5, 'c')], [c(0, 10, 'a'), c(10, 18, 'N'), c(28, 5, 'c')])).toEqual([
      { from: 'local', start: 0, end: 10, at: 0 },
      { from: 'remote', start: 10, end: 28 },
      { from: 'local', start: 28, end: 33, at: 25 },
    ]);
  });
  it('merges local neighbours only when they are neighbours in the local file too; fetches everything for an empty local copy', () => {
    expect(chunkPlan([c(0, 10, 'a'), c(10, 10, 'b')], [c(0, 10, 'a'), c(10, 10, 'b')])).toEqual([{ from: 'local', start: 0, end: 20, at: 0 }]);
    expect(chunkPlan([c(0, 10, 'a'), c(10, 10, 'b')], [c(0, 10, 'b'), c(10, 10, 'a')])).toEqual([
      { from: 'local', start: 0, end: 10, at: 10 },
      { from: 'local', start: 10, end: 20, at: 0 },
    ]);
    expect(chunkPlan([], [c(0, 10, 'x'), c(10, 3, 'y')])).toEqual([{ from: 'remote', start: 0, end: 13 }]);
  });
});

describe('changedRanges', () => {
  it('gives the byte ranges of blocks that differ at the same place, and everything past the old end', () => {
    expect(changedRanges(['a', 'b', 'c', 'd'], ['a', 'X', 'c', 'd'], 10, 40)).toEqual([{ start: 10, end: 20 }]);
    expect(changedRanges(['a', 'b', 'c'], ['a', 'b', 'C', 'n', 'm'], 10, 43)).toEqual([{ start: 20, end: 43 }]);
    expect(changedRanges(['a', 'b'], ['a', 'b'], 10, 20)).toEqual([]);
  });
});

describe('coalesce', () => {
  it('joins the closest neighbours until at most max ranges are left', () => {
    const ranges = [
      { start: 0, end: 10 },
      { start: 100, end: 110 },
      { start: 120, end: 130 },
      { start: 500, end: 510 },
    ];
    expect(coalesce(ranges, 3)).toEqual([
      { start: 0, end: 10 },
      { start: 100, end: 130 },
      { start: 500, end: 510 },
    ]);
    expect(coalesce(ranges, 1)).toEqual([{ start: 0, end: 510 }]);
    expect(coalesce(ranges, 8)).toEqual(ranges);
    expect(bytesIn(coalesce(ranges, 2))).toBe(140);
  });
});

describe('BlockHasher', () => {
  it('hashes fixed blocks whatever the chunking, the last one short; nothing for no bytes', () => {
    const bytes = randomBytes(25);
    const want = [bytes.subarray(0, 10), bytes.subarray(10, 20), bytes.subarray(20)].map((b) => createHash('sha256').update(b).digest('hex'));
    for (const cut of [1, 3, 10, 25]) {
      const h = new BlockHasher(10);
      for (let at = 0; at < bytes.length; at += cut) h.update(bytes.subarray(at, at + cut));
      expect(h.hashes()).toEqual(want);
    }
    expect(new BlockHasher(10).hashes()).toEqual([]);
    expect(() => new BlockHasher(0)).toThrow(RangeError);
  });
});
