/**
 * Pruning tombstones by count and by age, and the horizons it raises.
 */
import { describe, expect, it } from '@jest/globals';
import { scanAll } from '../journal-model';
import { ROOT } from '../../paths';
import { put, mk, del, paths, START_TIME, type JournalSuiteEnv } from './env';

export function retentionTests(env: JournalSuiteEnv): void {
  describe('retention', () => {
    it('prunes the oldest tombstones first and raises the horizons of their scopes', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c'), put('/c/a'), put('/c/b'), put('/z')]);
      await j.commit([del('/c/a'), del('/c/b'), del('/z')]); // revisions 5, 6, 7
      expect(await j.tombstoneCount()).toBe(3);
      expect(await j.prune({ maxTombstones: 1 })).toBe(2);
      expect(await j.tombstoneCount()).toBe(1);
      expect(await j.get('/c/a')).toBeUndefined();
      expect(await j.get('/c/b')).toBeUndefined();
      expect(await j.get('/z')).toBeDefined();
      expect((await j.collection('/c'))?.horizon).toEqual({ direct: 6, deep: 6 });
      expect((await j.collection(ROOT))?.horizon).toEqual({ direct: 0, deep: 6 });
      expect(paths(await scanAll(j, '/c', 'infinite'))).toEqual([]);
      expect(await j.prune({ maxTombstones: 1 })).toBe(0);
    });

    it('raises the direct horizon of the parent and the deeper one of every ancestor above it', async () => {
      const j = await env.fresh();
      await j.commit([mk('/a'), mk('/a/b'), mk('/a/b/c'), put('/a/b/c/x'), mk('/q')]);
      await j.commit([del('/a/b/c/x')]); // revision 6
      expect(await j.prune({ maxTombstones: 0 })).toBe(1);
      expect((await j.collection('/a/b/c'))?.horizon).toEqual({ direct: 6, deep: 6 });
      expect((await j.collection('/a/b'))?.horizon).toEqual({ direct: 0, deep: 6 });
      expect((await j.collection('/a'))?.horizon).toEqual({ direct: 0, deep: 6 });
      expect((await j.collection(ROOT))?.horizon).toEqual({ direct: 0, deep: 6 });
      expect((await j.collection('/q'))?.horizon).toEqual({ direct: 0, deep: 0 });
      await j.commit([del('/q', true)]); // revision 7, a member of the root
      expect(await j.prune({ maxTombstones: 0 })).toBe(1);
      expect((await j.collection(ROOT))?.horizon).toEqual({ direct: 7, deep: 7 });
      expect((await j.collection('/a'))?.horizon).toEqual({ direct: 0, deep: 6 });
    });

    it('prunes tombstones by age, oldest first', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c'), put('/c/a'), del('/c/a')]); // removed at START_TIME
      env.clock.now = START_TIME + 4000;
      await j.commit([put('/b'), del('/b')]);
      expect(await j.prune({ removedBefore: START_TIME + 3000 })).toBe(1);
      expect(await j.get('/c/a')).toBeUndefined();
      expect(await j.get('/b')).toBeDefined();
      expect((await j.collection('/c'))?.horizon).toEqual({ direct: 3, deep: 3 });
      expect((await j.collection(ROOT))?.horizon).toEqual({ direct: 0, deep: 3 });
      expect(await j.prune({ removedBefore: START_TIME + 4000 })).toBe(0);
      expect(await j.prune({ removedBefore: START_TIME + 4001 })).toBe(1);
      expect(await j.tombstoneCount()).toBe(0);
      expect((await j.collection(ROOT))?.horizon).toEqual({ direct: 5, deep: 5 });
    });

    it('prunes by count and age together, stopping at the first tombstone within both', async () => {
      const j = await env.fresh();
      await j.commit([put('/a'), put('/b'), put('/c'), put('/d')]);
      await j.commit([del('/a')]);
      env.clock.now += 10_000;
      await j.commit([del('/b'), del('/c')]);
      env.clock.now += 10_000;
      await j.commit([del('/d')]);
      // Three tombstones at most keeps b, c, d; the age rule then takes b and c.
      expect(await j.prune({ maxTombstones: 3, removedBefore: START_TIME + 15_000 })).toBe(3);
      expect(await j.get('/d')).toBeDefined();
      expect(await j.tombstoneCount()).toBe(1);
    });

    it('does not count a revived tombstone', async () => {
      const j = await env.fresh();
      await j.commit([put('/a'), del('/a'), put('/a')]);
      expect(await j.tombstoneCount()).toBe(0);
      expect(await j.prune({ maxTombstones: 0 })).toBe(0);
      expect((await j.get('/a'))?.removed).toBe(false);
      await j.commit([del('/a'), del('/a')]); // removing a tombstone again keeps one
      expect(await j.tombstoneCount()).toBe(1);
      expect(await j.prune({ maxTombstones: 0 })).toBe(1);
      expect(await j.get('/a')).toBeUndefined();
      expect(await j.tombstoneCount()).toBe(0);
    });
  });
}
