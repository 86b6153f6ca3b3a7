/**
 * Collections in the journal: incarnations, and the current revision of a
 * collection's subtree.
 */
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../../paths';
import { put, mk, del, type JournalSuiteEnv } from './env';

export function collectionTests(env: JournalSuiteEnv): void {
  describe('collections', () => {
    it('gives a collection a new incarnation each time it comes into existence', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c')]);
      const first = await j.collection('/c');
      expect(first?.createdRevision).toBe(1);
      await j.commit([mk('/c', 'd2')]); // a property change: same incarnation
      expect((await j.collection('/c'))?.incarnation).toBe(first?.incarnation);
      expect((await j.collection('/c'))?.createdRevision).toBe(1);
      await j.commit([del('/c', true), mk('/c')]);
      const second = await j.collection('/c');
      expect(second?.incarnation).not.toBe(first?.incarnation);
      expect(second?.createdRevision).toBe(4);
      await j.commit([put('/c')]); // replaced by a file
      expect(await j.collection('/c')).toBeUndefined();
      await j.commit([mk('/c')]); // and by a collection again
      const third = await j.collection('/c');
      expect([first?.incarnation, second?.incarnation]).not.toContain(third?.incarnation);
      expect(third?.createdRevision).toBe(6);
      await j.commit([del('/c', true)]);
      await j.prune({ maxTombstones: 0 });
      await j.commit([mk('/c')]); // re-created after its tombstone was pruned
      const fourth = await j.collection('/c');
      expect([first?.incarnation, second?.incarnation, third?.incarnation]).not.toContain(fourth?.incarnation);
      expect(fourth?.createdRevision).toBe(8);
    });

    it('has no collection state for files, tombstones and unknown paths', async () => {
      const j = await env.fresh();
      await j.commit([put('/f'), mk('/gone'), del('/gone', true)]);
      expect(await j.collection('/f')).toBeUndefined();
      expect(await j.collection('/gone')).toBeUndefined();
      expect(await j.collection('/never')).toBeUndefined();
    });

    it('keeps the root incarnation for the life of the store', async () => {
      const j = await env.fresh();
      const before = await j.collection(ROOT);
      await j.commit([mk('/c'), put('/c/f'), del('/c', true), del('/c/f')]);
      await j.prune({ maxTombstones: 0 });
      const after = await j.collection(ROOT);
      expect(after?.incarnation).toBe(before?.incarnation);
      expect(after?.createdRevision).toBe(0);
    });

    it("tracks a collection's current revision over its whole subtree", async () => {
      const j = await env.fresh();
      await j.commit([mk('/c'), mk('/c/d'), put('/elsewhere')]);
      expect((await j.collection('/c'))?.currentRevision).toBe(2);
      expect((await j.collection('/c/d'))?.currentRevision).toBe(2);
      await j.commit([put('/c/d/x')]);
      expect((await j.collection('/c'))?.currentRevision).toBe(4);
      expect((await j.collection('/c/d'))?.currentRevision).toBe(4);
      expect((await j.collection(ROOT))?.currentRevision).toBe(4);
      await j.commit([put('/cd/x'), put('/c.d')]); // siblings with a common prefix are not in /c's subtree
      expect((await j.collection('/c'))?.currentRevision).toBe(4);
      expect((await j.collection(ROOT))?.currentRevision).toBe(6);
    });

    it('never lowers a current revision when the newest entry in scope is pruned', async () => {
      const j = await env.fresh();
      await j.commit([mk('/c'), mk('/c/d'), put('/c/d/x'), del('/c/d/x')]);
      expect((await j.collection('/c'))?.currentRevision).toBe(4);
      expect(await j.prune({ maxTombstones: 0 })).toBe(1);
      expect((await j.collection('/c/d'))?.currentRevision).toBe(4);
      expect((await j.collection('/c'))?.currentRevision).toBe(4);
      expect((await j.collection(ROOT))?.currentRevision).toBe(4);
    });
  });
}
