/**
 * Sizes a real store meets: bodies of megabytes streamed in many chunks, and
 * collections of a thousand members.
 */
import { expect } from '@jest/globals';
import { bodyOf, chunked, patternBytes, readAll } from '../bodies';
import type { Harness } from '../harness';
import { listAll, listAllInBatches, readText } from '../tree';

const MiB = 1024 * 1024;
const MEMBERS = 1000;
/** Generous: a disk- or network-backed store writes megabytes and a thousand members here. */
const SLOW = { timeout: 120_000 };

export function largeSuite(t: Harness): void {
  t.test(
    'round-trips a 4 MiB body written in 64 KiB chunks, byte for byte',
    async (adapter) => {
      const data = patternBytes(4 * MiB, 42);
      const entry = await adapter.write('/big.bin', chunked(data, 64 * 1024), { contentType: 'application/octet-stream' });
      expect(entry.size).toBe(4 * MiB);
      expect((await adapter.stat('/big.bin'))?.size).toBe(4 * MiB);
      const back = await readAll(await adapter.read('/big.bin'));
      expect(back.length).toBe(data.length);
      expect(back.equals(data)).toBe(true);
    },
    SLOW,
  );

  t.test(
    'accepts chunks of uneven sizes, including empty and one-byte chunks',
    async (adapter) => {
      const data = patternBytes(MiB + 12_345, 7);
      const sizes = [0, 1, 1, 7, 65_536, 0, 100_003, 3, 8192, 1];
      const chunks: Uint8Array[] = [];
      for (let at = 0, i = 0; at < data.length; i++) {
        const size = sizes[i % sizes.length] ?? 1;
        chunks.push(data.subarray(at, at + size));
        at += size;
      }
      await adapter.write('/uneven.bin', bodyOf(...chunks));
      expect((await readAll(await adapter.read('/uneven.bin'))).equals(data)).toBe(true);
    },
    SLOW,
  );

  t.test(
    'reads byte ranges deep inside a large member',
    async (adapter) => {
      const data = patternBytes(3 * MiB, 11);
      await adapter.write('/big.bin', chunked(data, 256 * 1024));
      const start = 2 * MiB + 12_345;
      const middle = await readAll(await adapter.read('/big.bin', { start, end: start + 99_999 }));
      expect(middle.equals(data.subarray(start, start + 100_000))).toBe(true);
      const tail = await readAll(await adapter.read('/big.bin', { start: 3 * MiB - 10 }));
      expect(tail.equals(data.subarray(3 * MiB - 10))).toBe(true);
    },
    SLOW,
  );

  t.test(
    `lists a collection of ${MEMBERS} members, each exactly once`,
    async (adapter) => {
      await adapter.mkcol('/many');
      const expected: string[] = [];
      for (let i = 0; i < MEMBERS; i++) {
        const path = `/many/member-${String(i).padStart(4, '0')}`;
        expected.push(path);
        // Every tenth member is a collection, so listings mix both kinds.
        if (i % 10 === 0) await adapter.mkcol(path);
        else await adapter.write(path, bodyOf(`content ${i}`));
      }
      const entries = await listAll(adapter, '/many');
      expect(entries.map((e) => e.path).sort()).toEqual(expected);
      // A batch at a time (adapters that read a large folder in batches, or on another thread): the same entries.
      const batched = await listAllInBatches(adapter, '/many');
      expect(new Map(batched.map((e) => [e.path, e]))).toEqual(new Map(entries.map((e) => [e.path, e])));
      expect(batched).toHaveLength(MEMBERS);
      expect(entries.filter((e) => e.collection)).toHaveLength(MEMBERS / 10);
      expect(await readText(adapter, '/many/member-0999')).toBe('content 999');
    },
    SLOW,
  );

  t.test(
    `removes a collection of ${MEMBERS} members in one call`,
    async (adapter) => {
      await adapter.mkcol('/many');
      for (let i = 0; i < MEMBERS; i++) await adapter.write(`/many/m${i}`, bodyOf(String(i)));
      await adapter.remove('/many');
      expect(await adapter.stat('/many')).toBeUndefined();
      expect(await adapter.stat('/many/m500')).toBeUndefined();
      expect(await listAll(adapter, '/')).toEqual([]);
    },
    SLOW,
  );
}
