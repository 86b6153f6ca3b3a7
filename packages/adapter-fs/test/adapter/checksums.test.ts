/**
 * The filesystem adapter's stored checksums (issue 17) beyond the
 * conformance kit: a listing asked for checksums reads them in one query
 * for the whole folder (never one per member), does not hash on the
 * request's path, and queues what it finds missing for the background,
 * which stores checksums of exactly the content it read.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { checksummedWrite, listInBatches, type Entry } from '@davsync/core';
import { bodyOf } from '@davsync/core/testing';
import { FsAdapter, openStateDb, SqlitePropertyTable, type PropertyTable, type StateDatabase } from '@davsync/adapter-fs';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

let dir: string | undefined;
let db: StateDatabase | undefined;
let adapter: FsAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  db?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  adapter = db = dir = undefined;
});

/** A property table that counts the calls a listing makes. */
function counting(table: PropertyTable, calls: string[]): PropertyTable {
  return new Proxy(table, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function listed(a: FsAdapter, checksums: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const batch of listInBatches(a, '/', 64, { checksums })) out.push(...batch);
  return out;
}

describe('FsAdapter checksums', () => {
  it('lists 300 files with their checksums in one property query, hashing none of them on the way', async () => {
    dir = mkdtempSync(join(tmpdir(), 'davsync-fs-sums-'));
    const root = join(dir, 'root');
    db = openStateDb(join(dir, 'state.db'));
    const calls: string[] = [];
    mkdirSync(root);
    adapter = new FsAdapter({ root, properties: counting(new SqlitePropertyTable(db), calls), hashInBackground: false });
    for (let i = 0; i < 300; i++) {
      const { body, options } = checksummedWrite(`/f${i}.txt`, bodyOf(`file ${i}`), {}, { compute: true });
      await adapter.write(`/f${i}.txt`, body, options);
    }
    writeFileSync(join(root, 'outside.txt'), 'written by another program');
    calls.length = 0;
    const entries = await listed(adapter, true);
    expect(entries).toHaveLength(301);
    expect(entries.find((e) => e.path === '/f7.txt')?.checksums?.sha1).toBe(sha1('file 7'));
    expect(entries.find((e) => e.path === '/outside.txt')?.checksums).toBeUndefined();
    // One query for media types, one for checksums: none per member.
    expect(calls.sort()).toEqual(['valuesIn', 'valuesIn']);
    calls.length = 0;
    expect((await listed(adapter, false)).every((e) => e.checksums === undefined)).toBe(true);
    expect(calls).toEqual(['valuesIn']);
  });

  it('hashes a file it did not write in the background once a listing finds it, and stores what it read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'davsync-fs-sums-'));
    const root = join(dir, 'root');
    mkdirSync(root);
    db = openStateDb(join(dir, 'state.db'));
    adapter = new FsAdapter({ root, properties: new SqlitePropertyTable(db) });
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(3_000_000, 7));
    const [first] = await listed(adapter, true);
    expect(first?.checksums).toBeUndefined();
    await adapter.hashed();
    const [second] = await listed(adapter, true);
    expect(second?.checksums?.sha1).toBe(createHash('sha1').update(Buffer.alloc(3_000_000, 7)).digest('hex'));
    expect((await adapter.stat('/big.bin'))?.checksums).toEqual(second?.checksums);
    // Edited again: the stored checksums stop applying at once.
    writeFileSync(join(root, 'big.bin'), 'short now');
    expect((await adapter.stat('/big.bin'))?.checksums).toBeUndefined();
    await listed(adapter, true);
    await adapter.hashed();
    expect((await adapter.stat('/big.bin'))?.checksums?.sha1).toBe(sha1('short now'));
  });
});
