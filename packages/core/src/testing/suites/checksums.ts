/**
 * Stored checksums (`Entry.checksums`, issue 17): what the write hook
 * returned is what `stat` and a listing that asks report, for exactly the
 * content written; a hook that throws stores nothing; COPY and MOVE carry
 * them; a write without the hook leaves none (never the previous
 * content's). Clients skip a transfer when checksums match, so a stale one
 * loses data silently.
 */
import { createHash } from 'node:crypto';
import { expect } from '@jest/globals';
import type { StorageAdapter } from '../../adapter';
import { checksummedWrite, type Checksums } from '../../checksums';
import type { Entry } from '../../entry';
import { DavError } from '../../errors';
import { listInBatches } from '../../listing';
import { expectDavError } from '../assertions';
import { bodyOf } from '../bodies';
import type { Harness } from '../harness';
import { COLLECTION, readText, seed, writeText } from '../tree';

/**
 * The digests of `text`, computed here independently of the code under
 * test; a short text is one 4 MiB block, so its block list (issue 20) is
 * its SHA-256. A store keeps `Checksums` as given, block list included.
 */
function expected(text: string): Checksums {
  const of = (a: string): string => createHash(a).update(text, 'utf8').digest('hex');
  return { sha1: of('sha1'), md5: of('md5'), sha256: of('sha256'), blocks: `${4 * 1024 * 1024}:${text === '' ? '' : of('sha256')}` };
}

/** Writes `text` the way the engine does: hashed as it streams, checked against `announced`. */
function writeHashed(adapter: StorageAdapter, path: string, text: string, announced?: Checksums): Promise<Entry> {
  const half = Math.floor(text.length / 2);
  const { body, options } = checksummedWrite(path, bodyOf(text.slice(0, half), text.slice(half)), { contentType: 'text/plain' }, { compute: true, expected: announced });
  return adapter.write(path, body, options);
}

async function listed(adapter: StorageAdapter, collection: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for await (const batch of listInBatches(adapter, collection, 64, { checksums: true })) for (const e of batch) out.set(e.path, e);
  return out;
}

const sumsAt = async (adapter: StorageAdapter, path: string): Promise<Checksums | undefined> => (await adapter.stat(path))?.checksums;

export function checksumsSuite(t: Harness): void {
  t.test('stores the checksums a write computed: write, stat and a listing that asks report them', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION });
    const written = await writeHashed(adapter, '/d/a.txt', 'alpha content');
    await writeHashed(adapter, '/d/b.txt', 'beta');
    expect(written.checksums).toEqual(expected('alpha content'));
    expect(await sumsAt(adapter, '/d/a.txt')).toEqual(expected('alpha content'));
    const members = await listed(adapter, '/d');
    expect(members.get('/d/a.txt')?.checksums).toEqual(expected('alpha content'));
    expect(members.get('/d/b.txt')?.checksums).toEqual(expected('beta'));
  });

  t.test('replaces the checksums with the content, and never keeps the old ones when a write brings none', async (adapter) => {
    await writeHashed(adapter, '/f.txt', 'version one');
    await writeHashed(adapter, '/f.txt', 'version two!');
    expect(await sumsAt(adapter, '/f.txt')).toEqual(expected('version two!'));
    await writeText(adapter, '/f.txt', 'version three, unhashed');
    // None, or (a store that hashes what it did not write, in the background) those of this content: never the last ones.
    for (const sums of [await sumsAt(adapter, '/f.txt'), (await listed(adapter, '/')).get('/f.txt')?.checksums]) {
      if (sums !== undefined) expect(sums).toEqual(expected('version three, unhashed'));
    }
  });

  t.test('calls the checksum hook only after the body has ended', async (adapter) => {
    let ended = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('one ');
      yield Buffer.from('two');
      ended = true;
    }
    let endedWhenCalled: boolean | undefined;
    await adapter.write('/f.txt', body(), {
      checksums: async () => {
        endedWhenCalled = ended;
        return expected('one two');
      },
    });
    expect(endedWhenCalled).toBe(true);
  });

  t.test('stores nothing when the checksum hook throws: no new member, the old content and checksums stay', async (adapter) => {
    const wrong: Checksums = { sha1: '0'.repeat(40) };
    await expectDavError('bad-request', () => writeHashed(adapter, '/new.txt', 'never stored', wrong));
    expect(await adapter.stat('/new.txt')).toBeUndefined();
    const before = await writeHashed(adapter, '/f.txt', 'kept');
    await expectDavError('bad-request', () => writeHashed(adapter, '/f.txt', 'replacement', wrong));
    const after = await adapter.stat('/f.txt');
    expect(after?.etag).toBe(before.etag);
    expect(after?.checksums).toEqual(expected('kept'));
    expect(await readText(adapter, '/f.txt')).toBe('kept');
    // A hook's own error passes through unchanged.
    const own = new DavError('forbidden', 'refused by the hook');
    await expect(adapter.write('/f.txt', bodyOf('x'), { checksums: async () => { throw own; } })).rejects.toBe(own);
    expect(await readText(adapter, '/f.txt')).toBe('kept');
  });

  t.test('accepts a write whose announced checksums match', async (adapter) => {
    const written = await writeHashed(adapter, '/f.txt', 'announced', { sha1: expected('announced').sha1!.toUpperCase() });
    expect(written.checksums).toEqual(expected('announced'));
  });

  t.test('COPY gives the copy the checksums of its content; MOVE keeps them', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/sub': COLLECTION });
    await writeHashed(adapter, '/d/a.txt', 'file a');
    await writeHashed(adapter, '/d/sub/b.txt', 'file b');
    await adapter.copy('/d/a.txt', '/a-copy.txt');
    expect(await sumsAt(adapter, '/a-copy.txt')).toEqual(expected('file a'));
    await adapter.copy('/d', '/e');
    expect(await sumsAt(adapter, '/e/a.txt')).toEqual(expected('file a'));
    expect(await sumsAt(adapter, '/e/sub/b.txt')).toEqual(expected('file b'));
    expect((await listed(adapter, '/e/sub')).get('/e/sub/b.txt')?.checksums).toEqual(expected('file b'));
    await adapter.move('/a-copy.txt', '/moved.txt');
    expect(await sumsAt(adapter, '/moved.txt')).toEqual(expected('file a'));
    await adapter.move('/e', '/f');
    expect(await sumsAt(adapter, '/f/sub/b.txt')).toEqual(expected('file b'));
    // Overwriting a copy target replaces its checksums with the source's.
    await writeHashed(adapter, '/g.txt', 'g');
    await adapter.copy('/d/sub/b.txt', '/g.txt');
    expect(await sumsAt(adapter, '/g.txt')).toEqual(expected('file b'));
  });
}
