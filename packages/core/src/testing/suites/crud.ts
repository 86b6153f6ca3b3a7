/**
 * The basic operations: stat, list, read (with byte ranges), write, remove
 * and mkcol, with the errors RFC 4918 asks for (§9.3.1 MKCOL, §9.6 DELETE,
 * §9.7.1 PUT).
 */
import { Readable } from 'node:stream';
import { expect } from '@jest/globals';
import { expectDavError } from '../assertions';
import { bodyOf, readAll } from '../bodies';
import type { Harness } from '../harness';
import type { Entry } from '../../entry';
import { COLLECTION, listAll, listAllInBatches, listPaths, readText, seed, snapshot, writeText } from '../tree';

export function crudSuite(t: Harness): void {
  // ---- stat ----------------------------------------------------------------

  t.test('has a root collection from the start', async (adapter) => {
    const root = await adapter.stat('/');
    expect(root).toMatchObject({ path: '/', collection: true });
    expect(root?.etag).toEqual(expect.any(String));
    expect(await listAll(adapter, '/')).toEqual([]);
  });

  t.test('returns undefined from stat for a missing member', async (adapter) => {
    expect(await adapter.stat('/missing')).toBeUndefined();
    expect(await adapter.stat('/missing/deeper')).toBeUndefined();
  });

  t.test('returns undefined from stat for a path below a file', async (adapter) => {
    await writeText(adapter, '/file.txt', 'x');
    expect(await adapter.stat('/file.txt/child')).toBeUndefined();
  });

  // ---- write -----------------------------------------------------------------

  t.test('creates a file and returns its entry', async (adapter) => {
    const entry = await writeText(adapter, '/hello.txt', 'hello, world', 'text/plain; charset=utf-8');
    expect(entry).toMatchObject({ path: '/hello.txt', collection: false, size: 12, contentType: 'text/plain; charset=utf-8' });
    expect(entry.etag).not.toBe('');
    expect(await adapter.stat('/hello.txt')).toMatchObject({
      path: '/hello.txt',
      collection: false,
      size: 12,
      contentType: 'text/plain; charset=utf-8',
      etag: entry.etag,
    });
  });

  t.test('replaces the content of an existing file', async (adapter) => {
    await writeText(adapter, '/a.txt', 'first version, rather long');
    const entry = await writeText(adapter, '/a.txt', 'second');
    expect(entry.size).toBe(6);
    expect(await readText(adapter, '/a.txt')).toBe('second');
    expect(await listPaths(adapter, '/')).toEqual(['/a.txt']);
  });

  t.test('stores an empty body as a zero-length file', async (adapter) => {
    const entry = await adapter.write('/empty', bodyOf());
    expect(entry).toMatchObject({ collection: false, size: 0 });
    expect(await readText(adapter, '/empty')).toBe('');
  });

  t.test('accepts a Node Readable as the body', async (adapter) => {
    await adapter.write('/from-readable', Readable.from([Buffer.from('one '), Buffer.from('two')]));
    expect(await readText(adapter, '/from-readable')).toBe('one two');
  });

  t.test('keeps every byte of a binary body, including NUL and invalid UTF-8', async (adapter) => {
    const binary = Buffer.from([0, 255, 254, 0, 0xc3, 0x28, 10, 13, 0]);
    await adapter.write('/bin', bodyOf(binary.subarray(0, 4), binary.subarray(4)));
    expect((await readAll(await adapter.read('/bin'))).equals(binary)).toBe(true);
  });

  t.test('throws conflict when the parent collection is missing', async (adapter) => {
    await expectDavError('conflict', () => writeText(adapter, '/no/such/parent.txt', 'x'));
    expect(await adapter.stat('/no')).toBeUndefined();
  });

  t.test('throws conflict when writing below a file', async (adapter) => {
    await writeText(adapter, '/file.txt', 'x');
    await expectDavError('conflict', () => writeText(adapter, '/file.txt/child', 'y'));
    expect(await readText(adapter, '/file.txt')).toBe('x');
  });

  t.test('throws method-not-allowed when writing onto a collection', async (adapter) => {
    await adapter.mkcol('/dir');
    await expectDavError('method-not-allowed', () => writeText(adapter, '/dir', 'x'));
    expect(await adapter.stat('/dir')).toMatchObject({ collection: true });
  });

  t.test('throws method-not-allowed when writing onto the root', async (adapter) => {
    await expectDavError('method-not-allowed', () => writeText(adapter, '/', 'x'));
    expect(await adapter.stat('/')).toMatchObject({ collection: true });
  });

  // ---- read ------------------------------------------------------------------

  t.test('reads back exactly the bytes written', async (adapter) => {
    await adapter.write('/multi', bodyOf('alpha ', 'beta ', 'gamma'));
    expect(await readText(adapter, '/multi')).toBe('alpha beta gamma');
  });

  t.test('reads a byte range with an inclusive end', async (adapter) => {
    await writeText(adapter, '/r.txt', '0123456789');
    expect(await readText(adapter, '/r.txt', { start: 2, end: 5 })).toBe('2345');
  });

  t.test('reads from the start offset to the end when the range has no end', async (adapter) => {
    await writeText(adapter, '/r.txt', '0123456789');
    expect(await readText(adapter, '/r.txt', { start: 7 })).toBe('789');
  });

  t.test('reads single-byte ranges at both ends of the content', async (adapter) => {
    await writeText(adapter, '/r.txt', '0123456789');
    expect(await readText(adapter, '/r.txt', { start: 0, end: 0 })).toBe('0');
    expect(await readText(adapter, '/r.txt', { start: 9, end: 9 })).toBe('9');
  });

  t.test('throws not-found when reading a missing member', async (adapter) => {
    await expectDavError('not-found', () => adapter.read('/missing'));
  });

  t.test('throws conflict when reading a collection', async (adapter) => {
    await adapter.mkcol('/dir');
    await expectDavError('conflict', () => adapter.read('/dir'));
  });

  // ---- mkcol -----------------------------------------------------------------

  t.test('creates an empty collection and returns its entry', async (adapter) => {
    const entry = await adapter.mkcol('/dir');
    expect(entry).toMatchObject({ path: '/dir', collection: true });
    expect(entry.etag).not.toBe('');
    expect(await adapter.stat('/dir')).toMatchObject({ path: '/dir', collection: true, etag: entry.etag });
    expect(await listAll(adapter, '/dir')).toEqual([]);
  });

  t.test('creates nested collections one level at a time', async (adapter) => {
    await adapter.mkcol('/a');
    await adapter.mkcol('/a/b');
    await adapter.mkcol('/a/b/c');
    expect(await adapter.stat('/a/b/c')).toMatchObject({ collection: true });
    expect(await listPaths(adapter, '/a/b')).toEqual(['/a/b/c']);
  });

  t.test('throws method-not-allowed for mkcol on an existing collection', async (adapter) => {
    await seed(adapter, { '/dir': COLLECTION, '/dir/keep.txt': 'kept' });
    await expectDavError('method-not-allowed', () => adapter.mkcol('/dir'));
    expect(await snapshot(adapter, '/dir')).toEqual({ 'keep.txt': 'kept' });
  });

  t.test('throws method-not-allowed for mkcol on an existing file', async (adapter) => {
    await writeText(adapter, '/file.txt', 'x');
    await expectDavError('method-not-allowed', () => adapter.mkcol('/file.txt'));
    expect(await readText(adapter, '/file.txt')).toBe('x');
  });

  t.test('throws method-not-allowed for mkcol on the root', async (adapter) => {
    await expectDavError('method-not-allowed', () => adapter.mkcol('/'));
  });

  t.test('throws conflict for mkcol when the parent collection is missing', async (adapter) => {
    await expectDavError('conflict', () => adapter.mkcol('/no/such'));
    expect(await adapter.stat('/no')).toBeUndefined();
  });

  t.test('throws conflict for mkcol below a file', async (adapter) => {
    await writeText(adapter, '/file.txt', 'x');
    await expectDavError('conflict', () => adapter.mkcol('/file.txt/dir'));
  });

  // ---- list ------------------------------------------------------------------

  t.test('lists the direct members of a collection, each once, with their entries', async (adapter) => {
    await seed(adapter, {
      '/a': COLLECTION,
      '/a/f.txt': 'hello',
      '/a/sub': COLLECTION,
      '/a/sub/deep.txt': 'not a direct member',
      '/other.txt': 'outside',
    });
    const entries = await listAll(adapter, '/a');
    expect(entries.map((e) => e.path).sort()).toEqual(['/a/f.txt', '/a/sub']);
    expect(entries.find((e) => e.path === '/a/f.txt')).toMatchObject({ collection: false, size: 5 });
    expect(entries.find((e) => e.path === '/a/sub')).toMatchObject({ collection: true });
  });

  t.test('lists the same members and entries a batch at a time (listInBatches, the adapter\'s listBatches where it has one)', async (adapter) => {
    await seed(adapter, { '/a': COLLECTION, '/a/f.txt': 'hello', '/a/sub': COLLECTION, '/a/g.txt': 'g' });
    const batched = await listAllInBatches(adapter, '/a');
    const byPath = (x: Entry, y: Entry) => (x.path < y.path ? -1 : 1);
    expect([...batched].sort(byPath)).toEqual((await listAll(adapter, '/a')).sort(byPath));
    expect(batched.map((e) => e.path).sort()).toEqual(['/a/f.txt', '/a/g.txt', '/a/sub']);
    await expectDavError('conflict', () => listAllInBatches(adapter, '/a/f.txt'));
    await expectDavError('not-found', () => listAllInBatches(adapter, '/missing'));
  });

  t.test('lists the members of the root', async (adapter) => {
    await seed(adapter, { '/x': COLLECTION, '/y.txt': 'y', '/x/z.txt': 'z' });
    expect(await listPaths(adapter, '/')).toEqual(['/x', '/y.txt']);
  });

  t.test('lists entries whose ETags match stat', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f', '/d/s': COLLECTION });
    for (const entry of await listAll(adapter, '/d')) {
      expect((await adapter.stat(entry.path))?.etag).toBe(entry.etag);
    }
  });

  t.test('throws conflict when listing a file', async (adapter) => {
    await writeText(adapter, '/file.txt', 'x');
    await expectDavError('conflict', () => listAll(adapter, '/file.txt'));
  });

  t.test('throws not-found when listing a missing member', async (adapter) => {
    await expectDavError('not-found', () => listAll(adapter, '/missing'));
  });

  t.test('keeps names with spaces, percent signs, punctuation and non-ASCII characters', async (adapter) => {
    const names = ['/with space.txt', '/100%.txt', '/naïve ☃ 日本.txt', "/semi;colon,comma+plus&amp=eq'quote.txt"];
    for (const [i, name] of names.entries()) await writeText(adapter, name, `content ${i}`);
    expect(await listPaths(adapter, '/')).toEqual([...names].sort());
    for (const [i, name] of names.entries()) expect(await readText(adapter, name)).toBe(`content ${i}`);
  });

  t.test('does not confuse members whose names share a prefix', async (adapter) => {
    await seed(adapter, { '/a': COLLECTION, '/a/x.txt': '1', '/ab': COLLECTION, '/ab/x.txt': '2', '/a.txt': '3' });
    expect(await listPaths(adapter, '/a')).toEqual(['/a/x.txt']);
    await adapter.remove('/a');
    expect(await listPaths(adapter, '/')).toEqual(['/a.txt', '/ab']);
    expect(await readText(adapter, '/ab/x.txt')).toBe('2');
  });

  // ---- remove ----------------------------------------------------------------

  t.test('removes a file', async (adapter) => {
    await seed(adapter, { '/gone.txt': 'x', '/stays.txt': 'y' });
    await adapter.remove('/gone.txt');
    expect(await adapter.stat('/gone.txt')).toBeUndefined();
    expect(await listPaths(adapter, '/')).toEqual(['/stays.txt']);
  });

  t.test('removes a collection with everything below it', async (adapter) => {
    await seed(adapter, {
      '/c': COLLECTION,
      '/c/f.txt': 'f',
      '/c/sub': COLLECTION,
      '/c/sub/g.txt': 'g',
      '/sibling.txt': 's',
    });
    await adapter.remove('/c');
    expect(await adapter.stat('/c')).toBeUndefined();
    expect(await adapter.stat('/c/sub/g.txt')).toBeUndefined();
    expect(await listPaths(adapter, '/')).toEqual(['/sibling.txt']);
  });

  t.test('does not bring back removed members when a collection is re-created', async (adapter) => {
    await seed(adapter, { '/c': COLLECTION, '/c/old.txt': 'old', '/c/sub': COLLECTION });
    await adapter.remove('/c');
    await adapter.mkcol('/c');
    expect(await listAll(adapter, '/c')).toEqual([]);
    expect(await adapter.stat('/c/old.txt')).toBeUndefined();
  });

  t.test('throws not-found when removing a missing member', async (adapter) => {
    await expectDavError('not-found', () => adapter.remove('/missing'));
    await expectDavError('not-found', () => adapter.remove('/missing/deeper'));
  });

  t.test('throws forbidden when removing the root, and keeps it', async (adapter) => {
    await writeText(adapter, '/kept.txt', 'x');
    await expectDavError('forbidden', () => adapter.remove('/'));
    expect(await adapter.stat('/')).toMatchObject({ collection: true });
    expect(await listPaths(adapter, '/')).toEqual(['/kept.txt']);
  });
}
