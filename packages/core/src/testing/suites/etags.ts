/**
 * Entity tags: strong, stable while a member is unchanged, new when its
 * content changes (RFC 9110 §8.8.3), and usable for compare-and-set writes
 * (`WriteOptions.expectedEtag`). Sync clients decide what to re-download by
 * comparing ETags, so a tag that fails to change loses updates for good.
 */
import { expect } from '@jest/globals';
import type { StorageAdapter } from '../../adapter';
import { expectDavError } from '../assertions';
import { bodyOf } from '../bodies';
import type { Harness } from '../harness';
import { COLLECTION, listAll, readText, seed, writeText } from '../tree';

/** RFC 9110 §8.8.3 `etagc`, the characters allowed between the quotes. */
const OPAQUE_TAG = /^[\x21\x23-\x7e\x80-\xff]+$/;

const etagOf = async (adapter: StorageAdapter, path: string): Promise<string | undefined> => (await adapter.stat(path))?.etag;

export function etagsSuite(t: Harness): void {
  t.test('gives files, collections and the root strong ETags (no W/ prefix, no quotes)', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'content' });
    for (const path of ['/', '/d', '/d/f.txt']) {
      const etag = await etagOf(adapter, path);
      expect({ path, etag }).toEqual({ path, etag: expect.stringMatching(OPAQUE_TAG) });
      expect(etag?.startsWith('W/')).toBe(false);
    }
  });

  t.test('returns from write the ETag that stat reports afterwards', async (adapter) => {
    const written = await writeText(adapter, '/f.txt', 'v1');
    expect(await etagOf(adapter, '/f.txt')).toBe(written.etag);
  });

  t.test('keeps a file ETag while the file does not change', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'stable' });
    const etag = await etagOf(adapter, '/d/f.txt');
    await readText(adapter, '/d/f.txt');
    await listAll(adapter, '/d');
    await writeText(adapter, '/d/sibling.txt', 'another member');
    await adapter.mkcol('/d/sub');
    await adapter.remove('/d/sibling.txt');
    expect(await etagOf(adapter, '/d/f.txt')).toBe(etag);
  });

  t.test('keeps a collection ETag while nothing changes', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'x' });
    const etag = await etagOf(adapter, '/d');
    await listAll(adapter, '/d');
    await readText(adapter, '/d/f.txt');
    expect(await etagOf(adapter, '/d')).toBe(etag);
  });

  t.test('changes the ETag when the content changes', async (adapter) => {
    const first = await writeText(adapter, '/f.txt', 'short');
    const second = await writeText(adapter, '/f.txt', 'a longer second version');
    expect(second.etag).not.toBe(first.etag);
    expect(await etagOf(adapter, '/f.txt')).toBe(second.etag);
  });

  t.test('changes the ETag when content of the same length changes at once', async (adapter) => {
    // Tags built from size and a coarse modification time fail this.
    const first = await writeText(adapter, '/f.txt', 'abc');
    const second = await writeText(adapter, '/f.txt', 'abd');
    expect(second.etag).not.toBe(first.etag);
  });

  t.test('gives files with different content different ETags', async (adapter) => {
    const a = await writeText(adapter, '/a.txt', 'apples');
    const b = await writeText(adapter, '/b.txt', 'oranges');
    expect(a.etag).not.toBe(b.etag);
  });

  // ---- compare-and-set -------------------------------------------------------

  t.test('writes when expectedEtag matches the current ETag', async (adapter) => {
    const first = await writeText(adapter, '/f.txt', 'v1');
    const second = await adapter.write('/f.txt', bodyOf('v2'), { expectedEtag: first.etag });
    expect(second.etag).not.toBe(first.etag);
    expect(await readText(adapter, '/f.txt')).toBe('v2');
  });

  t.test('throws precondition-failed and keeps the content when expectedEtag does not match', async (adapter) => {
    const first = await writeText(adapter, '/f.txt', 'v1');
    await expectDavError('precondition-failed', () => adapter.write('/f.txt', bodyOf('v2'), { expectedEtag: `${first.etag}-other` }));
    expect(await readText(adapter, '/f.txt')).toBe('v1');
    expect(await etagOf(adapter, '/f.txt')).toBe(first.etag);
  });

  t.test('throws precondition-failed for an ETag from before the last write', async (adapter) => {
    const stale = await writeText(adapter, '/f.txt', 'v1');
    await writeText(adapter, '/f.txt', 'v2');
    await expectDavError('precondition-failed', () => adapter.write('/f.txt', bodyOf('v3'), { expectedEtag: stale.etag }));
    expect(await readText(adapter, '/f.txt')).toBe('v2');
  });

  t.test('creates the member when expectedEtag is null and it does not exist', async (adapter) => {
    const entry = await adapter.write('/new.txt', bodyOf('fresh'), { expectedEtag: null });
    expect(entry).toMatchObject({ path: '/new.txt', size: 5 });
    expect(await readText(adapter, '/new.txt')).toBe('fresh');
  });

  t.test('throws precondition-failed when expectedEtag is null and the member exists', async (adapter) => {
    await writeText(adapter, '/f.txt', 'v1');
    await expectDavError('precondition-failed', () => adapter.write('/f.txt', bodyOf('v2'), { expectedEtag: null }));
    expect(await readText(adapter, '/f.txt')).toBe('v1');
  });

  t.test('throws precondition-failed when expectedEtag is a tag and the member does not exist', async (adapter) => {
    const other = await writeText(adapter, '/other.txt', 'x');
    await expectDavError('precondition-failed', () => adapter.write('/new.txt', bodyOf('v'), { expectedEtag: other.etag }));
    expect(await adapter.stat('/new.txt')).toBeUndefined();
  });

  t.test('does not accept the ETag of another member as a match', async (adapter) => {
    await writeText(adapter, '/a.txt', 'a content');
    const b = await writeText(adapter, '/b.txt', 'b content');
    await expectDavError('precondition-failed', () => adapter.write('/a.txt', bodyOf('new'), { expectedEtag: b.etag }));
    expect(await readText(adapter, '/a.txt')).toBe('a content');
  });
}
