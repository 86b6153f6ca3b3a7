/**
 * ETags from metadata: stable across restarts while nothing changes, new on
 * every write (including an edit in place by another program), and for
 * collections unmoved by members coming and going.
 */
import { type BigIntStats, promises as fsp, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FsAdapter } from '@davsync/adapter-fs';
import { bodyOf, COLLECTION, listAll, seed, writeText } from '@davsync/core/testing';
import { collectionEtag, etagFor, fileEtag } from '../../src/listing/etag';
import { removeTemp, tempStore, type TempStore } from '../support/temp-store';

/** RFC 9110 §8.8.3 `etagc`. */
const OPAQUE_TAG = /^[\x21\x23-\x7e\x80-\xff]+$/;

let store: TempStore;

beforeEach(async () => {
  store = await tempStore();
});

afterEach(async () => {
  await removeTemp(store.dir);
});

const etagOf = async (adapter: FsAdapter, path: string): Promise<string | undefined> => (await adapter.stat(path))?.etag;

/** An adapter over the same root and property table, as after a restart. */
const restarted = (): FsAdapter => new FsAdapter({ root: store.root, properties: store.table });

describe('file ETags', () => {
  it('stay the same across a restart while the file is unchanged', async () => {
    await seed(store.adapter, { '/d': COLLECTION, '/d/f.txt': 'content' });
    const before = { file: await etagOf(store.adapter, '/d/f.txt'), dir: await etagOf(store.adapter, '/d'), root: await etagOf(store.adapter, '/') };
    const again = restarted();
    expect({ file: await etagOf(again, '/d/f.txt'), dir: await etagOf(again, '/d'), root: await etagOf(again, '/') }).toEqual(before);
  });

  it('never repeat at one path, even for same-size writes in quick succession', async () => {
    const tags = new Set<string>();
    for (let i = 0; i < 30; i++) tags.add((await store.adapter.write('/f.txt', bodyOf(i % 2 === 0 ? 'abc' : 'abd'))).etag);
    expect(tags.size).toBe(30);
  });

  it('change when the same content is written again (a new file each time)', async () => {
    const first = await writeText(store.adapter, '/f.txt', 'same');
    const second = await writeText(store.adapter, '/f.txt', 'same');
    expect(second.etag).not.toBe(first.etag);
  });

  it('change when another program edits the file in place', async () => {
    const entry = await writeText(store.adapter, '/f.txt', 'abc');
    const real = join(store.root, 'f.txt');
    writeFileSync(real, 'xyz');
    // The kernel's clock may not have ticked since the write: set a distinct mtime as an editor would get one.
    const later = new Date(Date.now() + 10_000);
    utimesSync(real, later, later);
    expect(await etagOf(store.adapter, '/f.txt')).not.toBe(entry.etag);
  });

  it('follow a file when it is moved (same inode, same content)', async () => {
    const entry = await writeText(store.adapter, '/a.txt', 'moving');
    await store.adapter.move('/a.txt', '/b.txt');
    expect(await etagOf(store.adapter, '/b.txt')).toBe(entry.etag);
  });

  it('differ between a file and its copy', async () => {
    const entry = await writeText(store.adapter, '/a.txt', 'copied');
    await store.adapter.copy('/a.txt', '/b.txt');
    expect(await etagOf(store.adapter, '/b.txt')).not.toBe(entry.etag);
  });

  it('agree between write, stat and list, and are valid opaque tags', async () => {
    const written = await writeText(store.adapter, '/f.txt', 'x');
    const [listed] = await listAll(store.adapter, '/');
    expect(listed?.etag).toBe(written.etag);
    expect(await etagOf(store.adapter, '/f.txt')).toBe(written.etag);
    expect(written.etag).toMatch(OPAQUE_TAG);
  });
});

describe('collection ETags', () => {
  it('do not change when members are added, changed or removed', async () => {
    const dir = await store.adapter.mkcol('/d');
    await writeText(store.adapter, '/d/a.txt', 'a');
    await writeText(store.adapter, '/d/a.txt', 'changed');
    await store.adapter.mkcol('/d/sub');
    await store.adapter.remove('/d/a.txt');
    await store.adapter.move('/d/sub', '/d/renamed');
    expect(await etagOf(store.adapter, '/d')).toBe(dir.etag);
  });

  it('differ between collections, and from files', async () => {
    await seed(store.adapter, { '/a': COLLECTION, '/b': COLLECTION, '/f': 'f' });
    const tags = await Promise.all(['/', '/a', '/b', '/f'].map((p) => etagOf(store.adapter, p)));
    expect(new Set(tags).size).toBe(4);
  });

  it('are new for a collection copied from another', async () => {
    const source = await store.adapter.mkcol('/a');
    await store.adapter.copy('/a', '/b');
    expect(await etagOf(store.adapter, '/b')).not.toBe(source.etag);
  });
});

describe('the tag functions', () => {
  // Only the fields the functions read.
  const stats = (fields: { ino: bigint; size?: bigint; mtimeNs?: bigint; birthtimeNs?: bigint; dir?: boolean }): BigIntStats =>
    ({
      ino: fields.ino,
      size: fields.size ?? 0n,
      mtimeNs: fields.mtimeNs ?? 0n,
      birthtimeNs: fields.birthtimeNs ?? 0n,
      isDirectory: () => fields.dir === true,
    }) as unknown as BigIntStats;

  it('write a file tag as base-36 inode, size and mtime', () => {
    expect(fileEtag(stats({ ino: 35n, size: 36n, mtimeNs: 1_700_000_000_123_456_789n }))).toBe(`z-10-${(1_700_000_000_123_456_789n).toString(36)}`);
  });

  it('change a file tag with any of inode, size or mtime (one nanosecond is enough)', () => {
    const base = { ino: 7n, size: 3n, mtimeNs: 1_000n };
    const tag = fileEtag(stats(base));
    expect(fileEtag(stats({ ...base, ino: 8n }))).not.toBe(tag);
    expect(fileEtag(stats({ ...base, size: 4n }))).not.toBe(tag);
    expect(fileEtag(stats({ ...base, mtimeNs: 1_001n }))).not.toBe(tag);
  });

  it('write a collection tag from inode and birth time, or the inode alone without one', () => {
    expect(collectionEtag(stats({ ino: 35n, birthtimeNs: 36n }))).toBe('cz-10');
    expect(collectionEtag(stats({ ino: 35n }))).toBe('cz');
    expect(collectionEtag(stats({ ino: 35n, birthtimeNs: 36n, mtimeNs: 99n, size: 4096n }))).toBe('cz-10');
  });

  it('pick the kind from the stats', () => {
    expect(etagFor(stats({ ino: 1n, dir: true }))).toBe('c1');
    expect(etagFor(stats({ ino: 1n }))).toBe('1-0-0');
  });

  it('use only characters allowed in an entity tag', async () => {
    await store.adapter.mkcol('/d');
    const real = await fsp.stat(join(store.root, 'd'), { bigint: true });
    expect(etagFor(real)).toMatch(OPAQUE_TAG);
    expect(etagFor(real)).toBe(await etagOf(store.adapter, '/d'));
  });
});
