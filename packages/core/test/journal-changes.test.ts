/**
 * The journal rule on its own: the entries a mutation or a reconcile
 * produces, from a journal and a tree in memory.
 */
import { describe, expect, it } from '@jest/globals';
import { EntryTree, journalChangesOf, MemoryJournal, reconcileChanges } from '@davsync/core';

async function journalWith(...changes: Array<[string, boolean, string?]>): Promise<MemoryJournal> {
  const j = new MemoryJournal();
  await j.commit(changes.map(([path, collection, etag]) => ({ path, removed: false, collection, etag: etag ?? '' })));
  return j;
}
const show = (cs: readonly { path: string; removed: boolean }[]) => cs.map((c) => `${c.removed ? '-' : '+'}${c.path}`);

describe('journalChangesOf', () => {
  it('a change is the member; a change of the root is nothing', async () => {
    const j = await journalWith();
    expect(await journalChangesOf({ kind: 'changed', entry: { path: '/a', collection: false, etag: 'e' } }, j, new EntryTree())).toEqual([
      { path: '/a', removed: false, collection: false, etag: 'e' },
    ]);
    expect(await journalChangesOf({ kind: 'changed', entry: { path: '/', collection: true, etag: '' } }, j, new EntryTree())).toEqual([]);
  });

  it('a removal is the member, then every live member below it', async () => {
    const j = await journalWith(['/c', true], ['/c/x', false], ['/c/d', true], ['/c/d/y', false]);
    await j.commit([{ path: '/c/x', removed: true, collection: false }]);
    expect(show(await journalChangesOf({ kind: 'removed', path: '/c', collection: true }, j, new EntryTree()))).toEqual(['-/c', '-/c/d', '-/c/d/y']);
  });

  it('a copy reports every member at the destination, same ETag or not, and what it replaced that is gone', async () => {
    const j = await journalWith(['/dst', true], ['/dst/old', false, 'o'], ['/dst/same', false, 's']);
    const after = new EntryTree([
      { path: '/dst', collection: true, etag: 'd2' },
      { path: '/dst/same', collection: false, etag: 's' },
      { path: '/dst/new', collection: false, etag: 'n' },
    ]);
    expect(show(await journalChangesOf({ kind: 'copied', destination: '/dst' }, j, after)).sort()).toEqual(['+/dst', '+/dst/new', '+/dst/same', '-/dst/old']);
  });

  it('a move removes the source subtree first, then maps the destination', async () => {
    const j = await journalWith(['/src', true], ['/src/x', false, 'x']);
    const after = new EntryTree([
      { path: '/dst', collection: true, etag: 'd' },
      { path: '/dst/x', collection: false, etag: 'x' },
    ]);
    expect(show(await journalChangesOf({ kind: 'moved', source: '/src', collection: true, destination: '/dst' }, j, after))).toEqual([
      '-/src',
      '-/src/x',
      '+/dst',
      '+/dst/x',
    ]);
  });

  it('a reconcile records only differences; a collection become a file loses its members', async () => {
    const j = await journalWith(['/a', true], ['/a/x', false, 'x'], ['/b', false, 'b']);
    const tree = new EntryTree([
      { path: '/a', collection: false, etag: 'now-a-file' },
      { path: '/b', collection: false, etag: 'b' },
    ]);
    expect(show(await reconcileChanges('/', j, tree))).toEqual(['+/a', '-/a/x']);
  });
});
