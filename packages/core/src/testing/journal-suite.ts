/**
 * The journal-store conformance suite: every `JournalStore` (the in-memory
 * one, a database-backed one, a third party's) is checked by the same tests,
 * and by a randomized differential test that replays the same commits and
 * prunes on the store and on a `MemoryJournal`, the reference, comparing
 * every observable result.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Labels, observe, scanAll, stepArb } from './journal-model';
import { expectDavError } from './assertions';
import type { JournalChange, JournalEntry, JournalStore } from '../journal';
import { MemoryJournal } from '../memory-journal';
import { ROOT } from '../paths';

/** What the suite hands to `create`. */
export interface JournalSuiteContext {
  /**
   * The suite's clock (ms since the epoch). Give it to the store as its time
   * source for tombstone ages, so pruning by age is tested deterministically.
   */
  readonly now: () => number;
}

export interface JournalSuiteOptions {
  /** Names the store in the test titles. */
  readonly name: string;
  /** A new, empty store (revision 0, no entries), reading time from `context.now`. */
  readonly create: (context: JournalSuiteContext) => JournalStore | Promise<JournalStore>;
  /**
   * Releases what `create` made (temporary files). The suite has already
   * called the store's `close()` when it calls this.
   */
  readonly cleanup?: (store: JournalStore) => void | Promise<void>;
  /** Random histories in the differential test; default `DAVSYNC_JOURNAL_RUNS` or 100. */
  readonly runs?: number;
}

const START_TIME = 1_700_000_000_000;

const put = (path: string, etag = 'e'): JournalChange => ({ path, removed: false, collection: false, etag });
const mk = (path: string, etag = 'd'): JournalChange => ({ path, removed: false, collection: true, etag });
const del = (path: string, collection = false): JournalChange => ({ path, removed: true, collection });


const paths = (entries: readonly JournalEntry[]): string[] => entries.map((e) => e.path);

/**
 * Defines the conformance tests of the `JournalStore` contract for one store,
 * in a `describe` block named after it. Call it once at the top level of a
 * test file.
 *
 * @example
 * import { defineJournalSuite } from '@davsync/core/testing';
 * import { MemoryJournal } from '@davsync/core';
 *
 * defineJournalSuite({ name: 'memory', create: ({ now }) => new MemoryJournal({ now }) });
 */
export function defineJournalSuite(options: JournalSuiteOptions): void {
  const runs = options.runs ?? (Number(process.env['DAVSYNC_JOURNAL_RUNS']) || 100);
  const release = async (store: JournalStore): Promise<void> => {
    await store.close?.();
    await options.cleanup?.(store);
  };

  describe(`JournalStore conformance: ${options.name}`, () => {
    let clock = START_TIME;
    let opened: JournalStore[] = [];
    const context: JournalSuiteContext = { now: () => clock };
    /** A fresh store, released after the test. */
    const fresh = async (): Promise<JournalStore> => {
      const store = await options.create(context);
      opened.push(store);
      return store;
    };
    beforeEach(() => {
      clock = START_TIME;
    });
    afterEach(async () => {
      const stores = opened;
      opened = [];
      for (const s of stores) await release(s);
    });

    describe('revisions and entries', () => {
      it('starts empty: no entries, the root at revision 0, no tombstones', async () => {
        const j = await fresh();
        expect(await j.get('/a')).toBeUndefined();
        expect(await scanAll(j, ROOT, 'infinite')).toEqual([]);
        expect(await j.tombstoneCount()).toBe(0);
        const root = await j.collection(ROOT);
        expect(root).toEqual({ incarnation: expect.any(String), createdRevision: 0, currentRevision: 0, horizon: { direct: 0, deep: 0 } });
        expect(await j.commit([])).toBe(0);
      });

      it('assigns one strictly increasing revision per change', async () => {
        const j = await fresh();
        expect(await j.commit([put('/a'), put('/b')])).toBe(2);
        expect(await j.commit([put('/a', 'x')])).toBe(3);
        expect((await j.get('/a'))?.revision).toBe(3);
        expect((await j.get('/b'))?.revision).toBe(2);
        expect(await j.commit([])).toBe(3);
      });

      it('records the ETag and type of live members and an empty ETag for tombstones', async () => {
        const j = await fresh();
        await j.commit([mk('/c', 'tag-c'), put('/c/f', '"strong"'), { path: '/g', removed: false, collection: false }]);
        await j.commit([{ path: '/c/f', removed: true, collection: false, etag: 'ignored' }]);
        expect(await j.get('/c')).toEqual({ path: '/c', revision: 1, removed: false, collection: true, etag: 'tag-c' });
        expect(await j.get('/g')).toEqual({ path: '/g', revision: 3, removed: false, collection: false, etag: '' });
        expect(await j.get('/c/f')).toEqual({ path: '/c/f', revision: 4, removed: true, collection: false, etag: '' });
      });

      it('ignores changes to the root, which is no one\'s member', async () => {
        const j = await fresh();
        expect(await j.commit([put('/a'), mk(ROOT), put('/b')])).toBe(2);
        expect(await j.get(ROOT)).toBeUndefined();
        expect(paths(await scanAll(j, ROOT, 'infinite'))).toEqual(['/a', '/b']);
        expect(await j.commit([del(ROOT, true)])).toBe(2);
        expect(await j.collection(ROOT)).toBeDefined();
      });

      it('commits a batch atomically: a refused change records nothing', async () => {
        const j = await fresh();
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
        const j = await fresh();
        await j.commit([put('/a'), put('/b'), put('/a', '2'), del('/b')]);
        expect((await scanAll(j, ROOT, 1)).map((e) => [e.path, e.revision, e.removed])).toEqual([
          ['/a', 3, false],
          ['/b', 4, true],
        ]);
      });

      it('scans only entries after the given revision and up to the bound', async () => {
        const j = await fresh();
        await j.commit([put('/a'), put('/b'), put('/c'), put('/d')]);
        expect(paths(await scanAll(j, ROOT, 1, 1, 3))).toEqual(['/b', '/c']);
        expect(paths(await scanAll(j, ROOT, 'infinite', 1, 3))).toEqual(['/b', '/c']);
        expect(paths(await scanAll(j, ROOT, 1, 3, 3))).toEqual([]);
        expect(paths(await scanAll(j, ROOT, 1, 4))).toEqual([]);
        expect(paths(await scanAll(j, ROOT, 1, 100))).toEqual([]);
        expect(paths(await scanAll(j, ROOT, 1, 0, 1))).toEqual(['/a']);
      });

      it('separates direct members from deeper descendants', async () => {
        const j = await fresh();
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
        const j = await fresh();
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
        const j = await fresh();
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
        const j = await fresh();
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

    describe('collections', () => {
      it('gives a collection a new incarnation each time it comes into existence', async () => {
        const j = await fresh();
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
        const j = await fresh();
        await j.commit([put('/f'), mk('/gone'), del('/gone', true)]);
        expect(await j.collection('/f')).toBeUndefined();
        expect(await j.collection('/gone')).toBeUndefined();
        expect(await j.collection('/never')).toBeUndefined();
      });

      it('keeps the root incarnation for the life of the store', async () => {
        const j = await fresh();
        const before = await j.collection(ROOT);
        await j.commit([mk('/c'), put('/c/f'), del('/c', true), del('/c/f')]);
        await j.prune({ maxTombstones: 0 });
        const after = await j.collection(ROOT);
        expect(after?.incarnation).toBe(before?.incarnation);
        expect(after?.createdRevision).toBe(0);
      });

      it("tracks a collection's current revision over its whole subtree", async () => {
        const j = await fresh();
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
        const j = await fresh();
        await j.commit([mk('/c'), mk('/c/d'), put('/c/d/x'), del('/c/d/x')]);
        expect((await j.collection('/c'))?.currentRevision).toBe(4);
        expect(await j.prune({ maxTombstones: 0 })).toBe(1);
        expect((await j.collection('/c/d'))?.currentRevision).toBe(4);
        expect((await j.collection('/c'))?.currentRevision).toBe(4);
        expect((await j.collection(ROOT))?.currentRevision).toBe(4);
      });
    });

    describe('retention', () => {
      it('prunes the oldest tombstones first and raises the horizons of their scopes', async () => {
        const j = await fresh();
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
        const j = await fresh();
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
        const j = await fresh();
        await j.commit([mk('/c'), put('/c/a'), del('/c/a')]); // removed at START_TIME
        clock = START_TIME + 4000;
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
        const j = await fresh();
        await j.commit([put('/a'), put('/b'), put('/c'), put('/d')]);
        await j.commit([del('/a')]);
        clock += 10_000;
        await j.commit([del('/b'), del('/c')]);
        clock += 10_000;
        await j.commit([del('/d')]);
        // Three tombstones at most keeps b, c, d; the age rule then takes b and c.
        expect(await j.prune({ maxTombstones: 3, removedBefore: START_TIME + 15_000 })).toBe(3);
        expect(await j.get('/d')).toBeDefined();
        expect(await j.tombstoneCount()).toBe(1);
      });

      it('does not count a revived tombstone', async () => {
        const j = await fresh();
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

    describe('differential', () => {
      it(`matches MemoryJournal on random histories of commits and prunes (${runs} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
            clock = START_TIME;
            const reference = new MemoryJournal(context);
            const store = await options.create(context);
            const labels = { reference: new Labels(), store: new Labels() };
            try {
              let head = 0;
              for (const step of steps) {
                if (step.op === 'tick') {
                  clock += step.ms;
                  continue;
                }
                if (step.op === 'commit') {
                  head = await reference.commit(step.changes);
                  expect(await store.commit(step.changes)).toBe(head);
                } else {
                  const rule = {
                    ...(step.maxTombstones === undefined ? {} : { maxTombstones: step.maxTombstones }),
                    ...(step.maxAge === undefined ? {} : { removedBefore: clock - step.maxAge }),
                  };
                  expect(await store.prune(rule)).toBe(await reference.prune(rule));
                }
                expect(await observe(store, head, labels.store)).toEqual(await observe(reference, head, labels.reference));
              }
            } finally {
              await release(store);
            }
          }),
          { numRuns: runs },
        );
      });
    });
  });
}
