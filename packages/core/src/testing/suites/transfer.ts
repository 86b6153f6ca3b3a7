/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9) as the adapter contract states them:
 * overwrite on by default and replacing the destination whole, depth 0,
 * `created`, and the errors for a missing source, a missing destination
 * parent, an existing destination without overwrite, and overlapping paths.
 * Dead properties travel with the members.
 */
import { describe, expect } from '@jest/globals';
import type { StorageAdapter } from '../../adapter';
import { expectDavError } from '../assertions';
import type { Harness } from '../harness';
import { COLLECTION, listAll, readText, seed, snapshot, writeText, type TreeSpec } from '../tree';

const PROJECT: TreeSpec = {
  '/src': COLLECTION,
  '/src/readme.txt': 'read me',
  '/src/lib': COLLECTION,
  '/src/lib/code.txt': 'code',
  '/src/lib/empty': COLLECTION,
};

const PROJECT_TREE = { 'readme.txt': 'read me', lib: COLLECTION, 'lib/code.txt': 'code', 'lib/empty': COLLECTION };

type Transfer = 'copy' | 'move';

/** COPY or MOVE with default options, so the shared rules are written once. */
const transfer = (adapter: StorageAdapter, kind: Transfer, from: string, to: string, overwrite?: boolean) =>
  kind === 'copy' ? adapter.copy(from, to, overwrite === undefined ? {} : { overwrite }) : adapter.move(from, to, overwrite === undefined ? {} : { overwrite });

export function transferSuite(t: Harness): void {
  // ---- copy ------------------------------------------------------------------

  t.test('copies a file with its content and media type, leaving the source as it was', async (adapter) => {
    const source = await writeText(adapter, '/a.txt', 'alpha', 'text/x-alpha');
    const result = await adapter.copy('/a.txt', '/b.txt');
    expect(result).toEqual({ created: true });
    expect(await readText(adapter, '/b.txt')).toBe('alpha');
    expect(await adapter.stat('/b.txt')).toMatchObject({ collection: false, size: 5, contentType: 'text/x-alpha' });
    expect(await readText(adapter, '/a.txt')).toBe('alpha');
    expect((await adapter.stat('/a.txt'))?.etag).toBe(source.etag);
  });

  t.test('copies a collection with all its members, recursively', async (adapter) => {
    await seed(adapter, PROJECT);
    expect(await adapter.copy('/src', '/dst')).toEqual({ created: true });
    expect(await snapshot(adapter, '/dst')).toEqual(PROJECT_TREE);
    expect(await snapshot(adapter, '/src')).toEqual(PROJECT_TREE);
  });

  t.test('copies a collection without its members at depth 0', async (adapter) => {
    await seed(adapter, PROJECT);
    expect(await adapter.copy('/src', '/dst', { depth: 0 })).toEqual({ created: true });
    expect(await adapter.stat('/dst')).toMatchObject({ collection: true });
    expect(await listAll(adapter, '/dst')).toEqual([]);
    expect(await snapshot(adapter, '/src')).toEqual(PROJECT_TREE);
  });

  t.test('copies a file whole at depth 0', async (adapter) => {
    await writeText(adapter, '/a.txt', 'alpha');
    await adapter.copy('/a.txt', '/b.txt', { depth: 0 });
    expect(await readText(adapter, '/b.txt')).toBe('alpha');
  });

  t.test('makes an independent copy: changing it leaves the source alone', async (adapter) => {
    await seed(adapter, PROJECT);
    await adapter.copy('/src', '/dst');
    await writeText(adapter, '/dst/readme.txt', 'changed');
    await adapter.remove('/dst/lib/code.txt');
    await adapter.mkcol('/dst/lib/new');
    expect(await snapshot(adapter, '/src')).toEqual(PROJECT_TREE);
  });

  t.test('copies into another collection', async (adapter) => {
    await seed(adapter, { '/a': COLLECTION, '/a/f.txt': 'f', '/b': COLLECTION });
    await adapter.copy('/a', '/b/a');
    expect(await snapshot(adapter, '/b')).toEqual({ a: COLLECTION, 'a/f.txt': 'f' });
  });

  // ---- move ------------------------------------------------------------------

  t.test('moves a file: the source is gone and the destination has its content', async (adapter) => {
    await writeText(adapter, '/a.txt', 'alpha', 'text/x-alpha');
    expect(await adapter.move('/a.txt', '/b.txt')).toEqual({ created: true });
    expect(await adapter.stat('/a.txt')).toBeUndefined();
    expect(await readText(adapter, '/b.txt')).toBe('alpha');
    expect(await adapter.stat('/b.txt')).toMatchObject({ size: 5, contentType: 'text/x-alpha' });
  });

  t.test('moves a collection with all its members', async (adapter) => {
    await seed(adapter, { ...PROJECT, '/elsewhere': COLLECTION });
    expect(await adapter.move('/src', '/elsewhere/dst')).toEqual({ created: true });
    expect(await adapter.stat('/src')).toBeUndefined();
    expect(await adapter.stat('/src/lib/code.txt')).toBeUndefined();
    expect(await snapshot(adapter, '/elsewhere/dst')).toEqual(PROJECT_TREE);
  });

  t.test('renames a member within its collection', async (adapter) => {
    await seed(adapter, { '/d': COLLECTION, '/d/old.txt': 'x', '/d/other.txt': 'y' });
    await adapter.move('/d/old.txt', '/d/new.txt');
    expect(await snapshot(adapter, '/d')).toEqual({ 'new.txt': 'x', 'other.txt': 'y' });
  });

  // ---- rules shared by copy and move ------------------------------------------

  for (const kind of ['copy', 'move'] as const) {
    t.test(`${kind}: replaces an existing destination file by default and reports created false`, async (adapter) => {
      await seed(adapter, { '/a.txt': 'new content', '/b.txt': 'old content' });
      expect(await transfer(adapter, kind, '/a.txt', '/b.txt')).toEqual({ created: false });
      expect(await readText(adapter, '/b.txt')).toBe('new content');
    });

    t.test(`${kind}: replaces a destination collection whole, leaving none of its old members`, async (adapter) => {
      await seed(adapter, {
        '/from': COLLECTION,
        '/from/new.txt': 'new',
        '/to': COLLECTION,
        '/to/old.txt': 'old',
        '/to/new.txt': 'old version',
        '/to/olddir': COLLECTION,
      });
      expect(await transfer(adapter, kind, '/from', '/to')).toEqual({ created: false });
      expect(await snapshot(adapter, '/to')).toEqual({ 'new.txt': 'new' });
    });

    t.test(`${kind}: replaces a destination collection with a file`, async (adapter) => {
      await seed(adapter, { '/f.txt': 'file', '/dir': COLLECTION, '/dir/member.txt': 'm' });
      expect(await transfer(adapter, kind, '/f.txt', '/dir', true)).toEqual({ created: false });
      expect(await adapter.stat('/dir')).toMatchObject({ collection: false });
      expect(await readText(adapter, '/dir')).toBe('file');
      expect(await adapter.stat('/dir/member.txt')).toBeUndefined();
    });

    t.test(`${kind}: throws precondition-failed when the destination exists and overwrite is false`, async (adapter) => {
      await seed(adapter, { '/a.txt': 'a', '/b.txt': 'b' });
      await expectDavError('precondition-failed', () => transfer(adapter, kind, '/a.txt', '/b.txt', false));
      expect(await readText(adapter, '/a.txt')).toBe('a');
      expect(await readText(adapter, '/b.txt')).toBe('b');
    });

    t.test(`${kind}: creates the destination when it is missing and overwrite is false`, async (adapter) => {
      await writeText(adapter, '/a.txt', 'a');
      expect(await transfer(adapter, kind, '/a.txt', '/b.txt', false)).toEqual({ created: true });
      expect(await readText(adapter, '/b.txt')).toBe('a');
    });

    t.test(`${kind}: throws not-found when the source is missing`, async (adapter) => {
      await expectDavError('not-found', () => transfer(adapter, kind, '/missing', '/b'));
      expect(await adapter.stat('/b')).toBeUndefined();
    });

    t.test(`${kind}: throws conflict when the destination parent is missing`, async (adapter) => {
      await writeText(adapter, '/a.txt', 'a');
      await expectDavError('conflict', () => transfer(adapter, kind, '/a.txt', '/no/such/b.txt'));
      expect(await readText(adapter, '/a.txt')).toBe('a');
    });

    t.test(`${kind}: throws conflict when the destination parent is a file`, async (adapter) => {
      await seed(adapter, { '/a.txt': 'a', '/f.txt': 'f' });
      await expectDavError('conflict', () => transfer(adapter, kind, '/a.txt', '/f.txt/b.txt'));
      expect(await readText(adapter, '/f.txt')).toBe('f');
    });

    t.test(`${kind}: throws forbidden when the destination is the source`, async (adapter) => {
      await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f', '/a.txt': 'a' });
      await expectDavError('forbidden', () => transfer(adapter, kind, '/d', '/d'));
      await expectDavError('forbidden', () => transfer(adapter, kind, '/a.txt', '/a.txt'));
      expect(await snapshot(adapter, '/d')).toEqual({ 'f.txt': 'f' });
      expect(await readText(adapter, '/a.txt')).toBe('a');
    });

    t.test(`${kind}: throws forbidden when the destination lies inside the source`, async (adapter) => {
      await seed(adapter, { '/d': COLLECTION, '/d/sub': COLLECTION, '/d/sub/f.txt': 'f' });
      await expectDavError('forbidden', () => transfer(adapter, kind, '/d', '/d/sub/copy'));
      await expectDavError('forbidden', () => transfer(adapter, kind, '/d', '/d/inside'));
      expect(await snapshot(adapter, '/d')).toEqual({ sub: COLLECTION, 'sub/f.txt': 'f' });
    });

    t.test(`${kind}: throws forbidden when the destination is the root`, async (adapter) => {
      await seed(adapter, { '/d': COLLECTION, '/d/f.txt': 'f' });
      await expectDavError('forbidden', () => transfer(adapter, kind, '/d', '/'));
      expect(await snapshot(adapter, '/')).toEqual({ d: COLLECTION, 'd/f.txt': 'f' });
    });

    t.test(`${kind}: throws forbidden for the root as the source`, async (adapter) => {
      await seed(adapter, { '/d': COLLECTION });
      await expectDavError('forbidden', () => transfer(adapter, kind, '/', '/d/root-copy'));
      expect(await listAll(adapter, '/d')).toEqual([]);
    });
  }

  // ---- dead properties travel ----------------------------------------------------

  describe('dead properties', () => {
    const NS = '{urn:davsync:test}';

    t.testProperties('copy: takes the dead properties of the file along, and the source keeps its own', async (adapter, props) => {
      await writeText(adapter, '/a.txt', 'a');
      await props.patch('/a.txt', { [`${NS}color`]: 'red' }, []);
      await adapter.copy('/a.txt', '/b.txt');
      expect(await props.get('/b.txt')).toEqual({ [`${NS}color`]: 'red' });
      expect(await props.get('/a.txt')).toEqual({ [`${NS}color`]: 'red' });
    });

    t.testProperties('copy: takes the dead properties of every member of a collection along', async (adapter, props) => {
      await seed(adapter, PROJECT);
      await props.patch('/src', { [`${NS}level`]: 'top' }, []);
      await props.patch('/src/lib', { [`${NS}level`]: 'lib' }, []);
      await props.patch('/src/lib/code.txt', { [`${NS}level`]: 'code' }, []);
      await adapter.copy('/src', '/dst');
      expect(await props.get('/dst')).toEqual({ [`${NS}level`]: 'top' });
      expect(await props.get('/dst/lib')).toEqual({ [`${NS}level`]: 'lib' });
      expect(await props.get('/dst/lib/code.txt')).toEqual({ [`${NS}level`]: 'code' });
      expect(await props.get('/dst/readme.txt')).toEqual({});
    });

    t.testProperties("copy: keeps the collection's own dead properties at depth 0", async (adapter, props) => {
      await seed(adapter, PROJECT);
      await props.patch('/src', { [`${NS}level`]: 'top' }, []);
      await adapter.copy('/src', '/dst', { depth: 0 });
      expect(await props.get('/dst')).toEqual({ [`${NS}level`]: 'top' });
    });

    t.testProperties('copy: gives the copy its own dead properties, so changing them leaves the source alone', async (adapter, props) => {
      await writeText(adapter, '/a.txt', 'a');
      await props.patch('/a.txt', { [`${NS}color`]: 'red' }, []);
      await adapter.copy('/a.txt', '/b.txt');
      await props.patch('/b.txt', { [`${NS}color`]: 'blue', [`${NS}size`]: 'L' }, []);
      expect(await props.get('/a.txt')).toEqual({ [`${NS}color`]: 'red' });
    });

    t.testProperties('move: takes the dead properties of the member and its members along', async (adapter, props) => {
      await seed(adapter, PROJECT);
      await props.patch('/src', { [`${NS}level`]: 'top' }, []);
      await props.patch('/src/lib/code.txt', { [`${NS}level`]: 'code' }, []);
      await adapter.move('/src', '/dst');
      expect(await props.get('/dst')).toEqual({ [`${NS}level`]: 'top' });
      expect(await props.get('/dst/lib/code.txt')).toEqual({ [`${NS}level`]: 'code' });
    });

    for (const kind of ['copy', 'move'] as const) {
      t.testProperties(`${kind}: replaces the dead properties of an overwritten destination, without merging`, async (adapter, props) => {
        await seed(adapter, { '/a.txt': 'a', '/b.txt': 'b' });
        await props.patch('/a.txt', { [`${NS}from`]: 'a' }, []);
        await props.patch('/b.txt', { [`${NS}stale`]: 'b' }, []);
        await transfer(adapter, kind, '/a.txt', '/b.txt');
        expect(await props.get('/b.txt')).toEqual({ [`${NS}from`]: 'a' });
      });
    }
  });
}
