import { describe, expect, it } from '@jest/globals';
import { MemoryJournal, type JournalEntry, type SyncLevel } from '@davsync/core';

async function scanAll(j: MemoryJournal, c: string, level: SyncLevel, after = 0, through = Number.MAX_SAFE_INTEGER) {
  const out: JournalEntry[] = [];
  for await (const batch of j.scan(c, level, after, through)) out.push(...batch);
  return out;
}

const put = (path: string, etag = 'e') => ({ path, removed: false, collection: false, etag });
const mk = (path: string) => ({ path, removed: false, collection: true, etag: 'd' });
const del = (path: string, collection = false) => ({ path, removed: true, collection });

describe('MemoryJournal', () => {
  it('assigns one strictly increasing revision per change', async () => {
    const j = new MemoryJournal();
    expect(await j.commit([put('/a'), put('/b')])).toBe(2);
    expect(await j.commit([put('/a', 'x')])).toBe(3);
    expect((await j.get('/a'))?.revision).toBe(3);
    expect((await j.get('/b'))?.revision).toBe(2);
  });

  it('keeps only the latest entry per path, in revision order', async () => {
    const j = new MemoryJournal();
    await j.commit([put('/a'), put('/b'), put('/a', '2'), del('/b')]);
    expect((await scanAll(j, '/', 1)).map((e) => [e.path, e.revision, e.removed])).toEqual([
      ['/a', 3, false],
      ['/b', 4, true],
    ]);
  });

  it('scans only entries after the given revision and up to the bound', async () => {
    const j = new MemoryJournal();
    await j.commit([put('/a'), put('/b'), put('/c'), put('/d')]);
    expect((await scanAll(j, '/', 1, 1, 3)).map((e) => e.path)).toEqual(['/b', '/c']);
  });

  it('separates direct members from deeper descendants', async () => {
    const j = new MemoryJournal();
    await j.commit([mk('/c'), mk('/c/d'), put('/c/d/x'), put('/c/y')]);
    expect((await scanAll(j, '/c', 1)).map((e) => e.path)).toEqual(['/c/d', '/c/y']);
    expect((await scanAll(j, '/c', 'infinite')).map((e) => e.path)).toEqual(['/c/d', '/c/d/x', '/c/y']);
    expect((await scanAll(j, '/', 1)).map((e) => e.path)).toEqual(['/c']);
  });

  it('stays correct through index compaction after many updates of one member', async () => {
    const j = new MemoryJournal();
    await j.commit([put('/keep')]);
    for (let i = 0; i < 5000; i++) await j.commit([put('/hot', String(i))]);
    const all = await scanAll(j, '/', 1);
    expect(all.map((e) => [e.path, e.etag])).toEqual([
      ['/keep', 'e'],
      ['/hot', '4999'],
    ]);
    expect((await scanAll(j, '/', 1, 4000)).map((e) => e.path)).toEqual(['/hot']);
  });

  it('gives a collection a new incarnation each time it comes into existence', async () => {
    const j = new MemoryJournal();
    await j.commit([mk('/c')]);
    const first = await j.collection('/c');
    await j.commit([mk('/c')]); // a property change: same incarnation
    expect((await j.collection('/c'))?.incarnation).toBe(first?.incarnation);
    await j.commit([del('/c', true), mk('/c')]);
    const second = await j.collection('/c');
    expect(second?.incarnation).not.toBe(first?.incarnation);
    expect(second?.createdRevision).toBe(4);
    await j.commit([put('/c')]);
    expect(await j.collection('/c')).toBeUndefined();
  });

  it("tracks a collection's current revision over its whole subtree", async () => {
    const j = new MemoryJournal();
    await j.commit([mk('/c'), mk('/c/d'), put('/elsewhere')]);
    expect((await j.collection('/c'))?.currentRevision).toBe(2);
    await j.commit([put('/c/d/x')]);
    expect((await j.collection('/c'))?.currentRevision).toBe(4);
    expect((await j.collection('/'))?.currentRevision).toBe(4);
  });

  it('prunes the oldest tombstones first and raises the horizons of their scopes', async () => {
    const j = new MemoryJournal();
    await j.commit([mk('/c'), put('/c/a'), put('/c/b'), put('/z')]);
    await j.commit([del('/c/a'), del('/c/b'), del('/z')]); // revisions 5, 6, 7
    expect(await j.tombstoneCount()).toBe(3);
    expect(await j.prune({ maxTombstones: 1 })).toBe(2);
    expect(await j.get('/c/a')).toBeUndefined();
    expect(await j.get('/z')).toBeDefined();
    expect((await j.collection('/c'))?.horizon).toEqual({ direct: 6, deep: 6 });
    expect((await j.collection('/'))?.horizon).toEqual({ direct: 0, deep: 6 });
  });

  it('prunes tombstones by age', async () => {
    let now = 1000;
    const j = new MemoryJournal({ now: () => now });
    await j.commit([put('/a'), del('/a')]);
    now = 5000;
    await j.commit([put('/b'), del('/b')]);
    expect(await j.prune({ removedBefore: 3000 })).toBe(1);
    expect(await j.get('/a')).toBeUndefined();
    expect(await j.get('/b')).toBeDefined();
  });

  it('does not count a revived tombstone', async () => {
    const j = new MemoryJournal();
    await j.commit([put('/a'), del('/a'), put('/a')]);
    expect(await j.tombstoneCount()).toBe(0);
    expect(await j.prune({ maxTombstones: 0 })).toBe(0);
    expect((await j.get('/a'))?.removed).toBe(false);
  });

  it('lets a scan in progress finish consistently while commits happen', async () => {
    const j = new MemoryJournal();
    await j.commit(Array.from({ length: 2000 }, (_, i) => put(`/m${i}`)));
    const through = 2000;
    const seen: string[] = [];
    let k = 0;
    for await (const batch of j.scan('/', 1, 0, through)) {
      seen.push(...batch.map((e) => e.path));
      // Rewrite members ahead of the scan: they move past `through`.
      await j.commit(Array.from({ length: 600 }, () => put(`/m${1999 - k++ % 1000}`, 'new')));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.every((p) => /^\/m\d+$/.test(p))).toBe(true);
  });
});
