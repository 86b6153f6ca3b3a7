/**
 * The journal's revisions, entries and scans: one revision per change,
 * atomic batches, the latest entry per path, members and descendants.
 */
import { describe, expect, it } from '@jest/globals';
import { scanAll } from '../journal-model';
import { expectDavError } from '../assertions';
import type { JournalChange, JournalEntry } from '../../journal';
import { ROOT } from '../../paths';
import { put, mk, del, paths, type JournalSuiteEnv } from './env';

export function revisionAndScanTests(env: JournalSuiteEnv): void {
  describe('revisions and entries', () => {
    it('starts empty: no entries, the root at revision 0, no tombstones', async () => {
      const j = await env.fresh();
      expect(await j.get('/a')).toBeUndefined();
      expect(await scanAll(j, ROOT, 'infinite')).toEqual([]);
      expect(await j.tombstoneCount()).toBe(0);
      const root = await j.collection(ROOT);
      expect(root).toEqual({ incarnation: expect.any(String), createdRevision: 0, currentRevision: 0, horizon: { direct: 0, deep: 0 } });
      expect(await j.commit([])).toBe(0);
    });

    it('assigns one strictly increasing revision per change', async () => {
      const j = await env.fresh();
      expect(await j.commit([put('/a'), put('/b')])).toBe(2);
      expect(await j.commit([put('/a', 'x')])).toBe(3);
      expect((await j.get('/a'))?.revision).toBe(3);
      expect((await j.get('/b'))?.revision).toBe(2);
      expect(await j.commit([])).toBe(3);
    });

    it('records the ETag and type of live members and an empty ETag for tombstones', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c', 'tag-c'), put('/c/f', '"strong"'), { path: '/g', removed: false, collection: false }]);
      await j.commit([{ path: '/c/f', removed: true, collection: false, etag: 'ignored' }]);
      expect(await j.get('/c')).toEqual({ path: '/c', revision: 1, removed: false, collection: true, etag: 'tag-c' });
      expect(await j.get('/g')).toEqual({ path: '/g', revision: 3, removed: false, collection: false, etag: '' });
      expect(await j.get('/c/f')).toEqual({ path: '/c/f', revision: 4, removed: true, collection: false, etag: '' });
    });

    it('ignores changes to the root, which is no one\'s member', async () => {
      const j = await env.fresh();
      expect(await j.commit([put('/a'), mk(ROOT), put('/b')])).toBe(2);
      expect(await j.get(ROOT)).toBeUndefined();
      expect(paths(await scanAll(j, ROOT, 'infinite'))).toEqual(['/a', '/b']);
      expect(await j.commit([del(ROOT, true)])).toBe(2);
      expect(await j.collection(ROOT)).toBeDefined();
    });

    it('commits a batch atomically: a refused change records nothing', async () => {
      const j = await env.fresh();
      expect(await j.commit([put('/a')])).toBe(1);
      // The invalid change comes last, so a store that writes as it goes has to roll back.
      await expectDavError('bad-request', () => j.commit([del('/a'), put('/b'), put('relative/path')]));
      await expectDavError('bad-request', () => j.commit([put('/c'), put('/d/../e')]));
      expect(await j.get('/a')).toEqual({ path: '/a', revision: 1, removed: false, collection: false, etag: 'e' });
      expect(await j.get('/b')).toBeUndefined();
      expect(await j.get('/c')).toBeUndefined();
      expect(await j.tombstoneCount()).toBe(0);
      expect(paths(await scanAll(j, ROOT, 'infinite'))).toEqual(['/a']);
      expect((await j.collection(ROOT))?.currentRevision).toBe(1);
      // The refused batches used up no revisions.
      expect(await j.commit([put('/b')])).toBe(2);
    });
  });

  describe('scans', () => {
    it('keeps only the latest entry per path, in revision order', async () => {
      const j = await env.fresh();
      await j.commit([put('/a'), put('/b'), put('/a', '2'), del('/b')]);
      expect((await scanAll(j, ROOT, 1)).map((e) => [e.path, e.revision, e.removed])).toEqual([
        ['/a', 3, false],
        ['/b', 4, true],
      ]);
    });

    it('scans only entries after the given revision and up to the bound', async () => {
      const j = await env.fresh();
      await j.commit([put('/a'), put('/b'), put('/c'), put('/d')]);
      expect(paths(await scanAll(j, ROOT, 1, 1, 3))).toEqual(['/b', '/c']);
      expect(paths(await scanAll(j, ROOT, 'infinite', 1, 3))).toEqual(['/b', '/c']);
      expect(paths(await scanAll(j, ROOT, 1, 3, 3))).toEqual([]);
      expect(paths(await scanAll(j, ROOT, 1, 4))).toEqual([]);
      expect(paths(await scanAll(j, ROOT, 1, 100))).toEqual([]);
      expect(paths(await scanAll(j, ROOT, 1, 0, 1))).toEqual(['/a']);
    });

    it('separates direct members from deeper descendants', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c'), mk('/c/d'), put('/c/d/x'), put('/c/y'), mk('/cd'), put('/cd/z'), put('/c.d'), put('/c-/w')]);
      expect(paths(await scanAll(j, '/c', 1))).toEqual(['/c/d', '/c/y']);
      expect(paths(await scanAll(j, '/c', 'infinite'))).toEqual(['/c/d', '/c/d/x', '/c/y']);
      expect(paths(await scanAll(j, '/c/d', 'infinite'))).toEqual(['/c/d/x']);
      expect(paths(await scanAll(j, '/cd', 'infinite'))).toEqual(['/cd/z']);
      expect(paths(await scanAll(j, ROOT, 1))).toEqual(['/c', '/cd', '/c.d']);
      expect(paths(await scanAll(j, ROOT, 'infinite'))).toEqual(['/c', '/c/d', '/c/d/x', '/c/y', '/cd', '/cd/z', '/c.d', '/c-/w']);
      expect(await scanAll(j, '/nowhere', 'infinite')).toEqual([]);
      expect(await scanAll(j, '/c/y', 'infinite')).toEqual([]);
    });

    it('yields every entry once, in revision order, across many batches at both levels', async () => {
      const j = await env.fresh();
      const changes: JournalChange[] = [mk('/d'), mk('/d/e')];
      for (let i = 0; i < 1500; i++) changes.push(put(i % 3 === 0 ? `/d/e/m${i}` : `/d/m${i}`));
      await j.commit(changes);
      const check = (entries: readonly JournalEntry[], expected: readonly string[]): void => {
        expect(entries.map((e) => e.path)).toEqual(expected);
        const revisions = entries.map((e) => e.revision);
        expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
        expect(new Set(revisions).size).toBe(revisions.length);
      };
      const members = changes.slice(2).map((c) => c.path);
      check(await scanAll(j, '/d', 'infinite'), ['/d/e', ...members]);
      check(await scanAll(j, '/d', 1), ['/d/e', ...members.filter((p) => !p.startsWith('/d/e/'))]);
      check(await scanAll(j, '/d', 'infinite', 700), changes.slice(700).map((c) => c.path));
      check(await scanAll(j, '/d/e', 1, 0, 1000), members.slice(0, 998).filter((p) => p.startsWith('/d/e/')));
    });

    it('stays correct through index compaction after many updates of one member', async () => {
      const j = await env.fresh();
      await j.commit([put('/keep')]);
      for (let i = 0; i < 3000; i++) await j.commit([put('/hot', String(i))]);
      expect((await scanAll(j, ROOT, 1)).map((e) => [e.path, e.etag])).toEqual([
        ['/keep', 'e'],
        ['/hot', '2999'],
      ]);
      expect(paths(await scanAll(j, ROOT, 1, 2000))).toEqual(['/hot']);
      expect(paths(await scanAll(j, ROOT, 'infinite', 1, 3000))).toEqual([]);
      expect((await j.collection(ROOT))?.currentRevision).toBe(3001);
    });

    it('lets a scan in progress finish consistently while commits happen', async () => {
      const j = await env.fresh();
      await j.commit(Array.from({ length: 2000 }, (_, i) => put(`/m${i}`)));
      const through = 2000;
      const seen: string[] = [];
      let k = 0;
      for await (const batch of j.scan(ROOT, 1, 0, through)) {
        for (const e of batch) expect(e.revision).toBeLessThanOrEqual(through);
        seen.push(...paths(batch));
        // Rewrite members ahead of the scan (and behind it): they move past `through`.
        await j.commit(Array.from({ length: 600 }, () => put(`/m${1999 - (k++ % 1000)}`, 'new')));
        await j.commit([put(`/m${k % 10}`, 'again'), del(`/m${10 + (k % 10)}`)]);
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.every((p) => /^\/m\d+$/.test(p))).toBe(true);
      // Members never rewritten are all there.
      for (let i = 20; i < 1000; i++) expect(seen).toContain(`/m${i}`);
    });
  });
}
