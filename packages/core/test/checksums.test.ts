/**
 * Checksums computed as a write streams (`checksums.ts`) and the engine's
 * policy: all three by default, none with `checksums: false` except a digest
 * the client announced, which is verified either way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { BlockHasher, hashWhileReading, isChecksums, SyncEngine, type ByteStream, type Checksums, type Entry, type StorageAdapter, type WriteOptions } from '@davsync/core';
import { Worker } from 'node:worker_threads';
import { useHashingWorkerFactory } from '@davsync/core/testing';
import { HASHING_LANES } from '../src/hashing-thread';
import { noStore } from './helpers';

const digest = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('hex');

/** The stored block list of `data` (4 MiB blocks), computed here independently of `block-hashes.ts`. */
function blocks(data: Buffer, blockSize = 4 * 1024 * 1024): string {
  const hashes: string[] = [];
  for (let at = 0; at < data.length; at += blockSize) hashes.push(digest('sha256', data.subarray(at, at + blockSize)));
  return `${blockSize}:${hashes.join(' ')}`;
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** An adapter that drains the body and records what the checksum hook returned. */
function recording(stored: Array<Checksums | undefined>): StorageAdapter {
  return {
    ...noStore,
    async write(path: string, body: ByteStream, options: WriteOptions = {}): Promise<Entry> {
      for await (const _ of body) {
        // drained
      }
      stored.push(await options.checksums?.());
      return { path, collection: false, etag: 'e', size: 0 };
    },
  };
}

describe('hashWhileReading', () => {
  it('gives the digests of every byte, however the body is chunked and whichever thread hashes it', async () => {
    // Bodies within one batch are hashed here; longer ones on the hashing thread, batch by batch.
    for (const [length, size] of [[0, 1], [100, 7], [262_144, 65_536], [262_145, 4096], [3_000_001, 65_536], [1_000_003, 1_000_003], [9_437_185, 100_003]] as const) {
      const data = randomBytes(length);
      const hashed = hashWhileReading(chunks(data, size), ['sha1', 'md5', 'sha256']);
      const seen: Buffer[] = [];
      for await (const chunk of hashed.body) seen.push(Buffer.from(chunk));
      expect({ length, size, same: Buffer.concat(seen).equals(data) }).toEqual({ length, size, same: true });
      expect(await hashed.digests()).toEqual({ sha1: digest('sha1', data), md5: digest('md5', data), sha256: digest('sha256', data), blocks: blocks(data) });
      expect(isChecksums(await hashed.digests())).toBe(true);
    }
  });

  it('bodies hashed at once share the threads and the reused batches, each with its own digests', async () => {
    // Batches go back to the pool as a thread reports them read (every few batches, and with the
    // digests): one handed out again too early would be overwritten under another body's hash.
    const bodies = [randomBytes(3_000_001), randomBytes(2_621_440), randomBytes(1_048_576), randomBytes(5_000_000)];
    const results = await Promise.all(
      bodies.map(async (data, i) => {
        const hashed = hashWhileReading(chunks(data, 16_384 * (i + 1) + i), ['sha1', 'md5', 'sha256']);
        for await (const _ of hashed.body) await new Promise(setImmediate);
        return hashed.digests();
      }),
    );
    expect(results).toEqual(bodies.map((data) => ({ sha1: digest('sha1', data), md5: digest('md5', data), sha256: digest('sha256', data), blocks: blocks(data) })));
  });

  it('one hashing thread that cannot start: its share is hashed here, the other on its thread, the digests the same', async () => {
    // The first lane's thread starts; the second's fails (the back-off then
    // keeps it on this thread), so one body is hashed partly here, partly there.
    let started = 0;
    const warnings: string[] = [];
    useHashingWorkerFactory((file) => {
      if (started++ === 0) return new Worker(file);
      throw new Error('no second thread');
    });
    try {
      const data = randomBytes(1_000_003);
      const hashed = hashWhileReading(chunks(data, 65_536), ['sha1', 'md5', 'sha256'], (m) => warnings.push(m));
      for await (const _ of hashed.body) {
        // drained
      }
      expect(await hashed.digests()).toEqual({ sha1: digest('sha1', data), md5: digest('md5', data), sha256: digest('sha256', data), blocks: blocks(data) });
      // On a single core there is one lane only, and nothing to fail.
      expect(warnings.join('\n')).toMatch(HASHING_LANES > 1 ? /cannot start \(Error: no second thread\)/ : /^$/);
    } finally {
      useHashingWorkerFactory(undefined);
    }
  });

  it('no hashing thread at all: every byte is hashed here, in order, whatever the chunking', async () => {
    // The first full batch finds no thread: it and every later byte are hashed on this thread.
    useHashingWorkerFactory(() => {
      throw new Error('no threads');
    });
    try {
      for (const [length, size] of [[524_288, 65_536], [600_001, 65_536], [1_048_576, 262_144], [700_000, 300_000]] as const) {
        const data = randomBytes(length);
        const hashed = hashWhileReading(chunks(data, size), ['sha1', 'md5', 'sha256'], () => undefined);
        for await (const _ of hashed.body) {
          // drained
        }
        expect({ length, size, sums: await hashed.digests() }).toEqual({ length, size, sums: { sha1: digest('sha1', data), md5: digest('md5', data), sha256: digest('sha256', data), blocks: blocks(data) } });
      }
    } finally {
      useHashingWorkerFactory(undefined);
    }
  });

  it('passes on a body that fails, and its session goes', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(600_000, 1);
      throw new Error('cut off');
    }
    const hashed = hashWhileReading(failing(), ['sha1']);
    await expect((async () => {
      for await (const _ of hashed.body) {
        // drained
      }
    })()).rejects.toThrow('cut off');
    await expect(hashed.digests()).rejects.toThrow(/before the body was read/);
  });

  it('refuses to give digests before the body has ended', async () => {
    const hashed = hashWhileReading(chunks(Buffer.from('abc'), 1), ['md5']);
    await expect(hashed.digests()).rejects.toThrow(/before the body was read/);
  });
});

describe('SyncEngine.write checksums', () => {
  const data = Buffer.from('hello checksums');
  const sha1 = digest('sha1', data);

  it('computes SHA-1, MD5 and SHA-256 by default', async () => {
    const stored: Array<Checksums | undefined> = [];
    await new SyncEngine({ adapter: recording(stored) }).write('/a', chunks(data, 4));
    expect(stored).toEqual([{ sha1, md5: digest('md5', data), sha256: digest('sha256', data), blocks: blocks(data) }]);
  });

  it('computes nothing with checksums: false, unless a digest is announced', async () => {
    const stored: Array<Checksums | undefined> = [];
    const engine = new SyncEngine({ adapter: recording(stored), checksums: false });
    await engine.write('/a', chunks(data, 4));
    await engine.write('/a', chunks(data, 4), { expectedChecksums: { sha1: sha1.toUpperCase() } });
    expect(stored).toEqual([undefined, { sha1 }]);
  });

  it('fails a write whose announced digest differs, with bad-request', async () => {
    const stored: Array<Checksums | undefined> = [];
    const engine = new SyncEngine({ adapter: recording(stored) });
    await expect(engine.write('/a', chunks(data, 4), { expectedChecksums: { md5: '0'.repeat(32) } })).rejects.toMatchObject({ code: 'bad-request' });
    expect(stored).toEqual([]);
  });

  it('refuses a checksums option that is not a boolean', () => {
    expect(() => new SyncEngine({ adapter: noStore, checksums: 'yes' as unknown as boolean })).toThrow(/checksums/);
  });
});

describe('BlockHasher', () => {
  it('cuts at block boundaries whatever the chunking', () => {
    const data = randomBytes(10_007);
    for (const chunk of [1, 13, 100, 4096, 10_007]) {
      const h = new BlockHasher(1000);
      for (let at = 0; at < data.length; at += chunk) h.update(data.subarray(at, at + chunk));
      expect([chunk, h.digest('hex')]).toEqual([chunk, blocks(data, 1000)]);
    }
    expect(new BlockHasher(1000).update(randomBytes(3000)).digest('hex').split(' ')).toHaveLength(3);
  });

  it('stored lists are checked: isChecksums refuses a malformed one', () => {
    expect(isChecksums({ blocks: blocks(randomBytes(10)) })).toBe(true);
    expect(isChecksums({ blocks: '4194304:' })).toBe(true);
    expect(isChecksums({ blocks: '4194304:abc' })).toBe(false);
    expect(isChecksums({ blocks: ':' + digest('sha256', Buffer.alloc(1)) })).toBe(false);
    expect(isChecksums({ blocks: 42 })).toBe(false);
  });
});
