/**
 * The randomized differential test: the same commits, ticks and prunes on
 * the store and on a `MemoryJournal`, the reference, comparing every
 * observable result.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Labels, observe, stepArb } from '../journal-model';
import { MemoryJournal } from '../../memory-journal';
import { START_TIME, type JournalSuiteEnv } from './env';

/**
 * Each run builds a fresh store (for PostgreSQL a schema with its tables and
 * triggers, ~160 ms idle), so the test's length grows with the run count and
 * the machine's load: a CI runner ran 50 runs past jest's 30 s default. Allow
 * 2 s a run; a real mismatch fails on its first shrink, not by time.
 */
function runsTimeout(runs: number): number {
  return Math.max(30_000, runs * 2_000);
}

export function differentialTest(env: JournalSuiteEnv): void {
  describe('differential', () => {
    it(`matches MemoryJournal on random histories of commits and prunes (${env.runs} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
          env.clock.now = START_TIME;
          const reference = new MemoryJournal(env.context);
          const store = await env.create();
          const labels = { reference: new Labels(), store: new Labels() };
          try {
            let head = 0;
            for (const step of steps) {
              if (step.op === 'tick') {
                env.clock.now += step.ms;
                continue;
              }
              if (step.op === 'commit') {
                head = await reference.commit(step.changes);
                expect(await store.commit(step.changes)).toBe(head);
              } else {
                const rule = {
                  ...(step.maxTombstones === undefined ? {} : { maxTombstones: step.maxTombstones }),
                  ...(step.maxAge === undefined ? {} : { removedBefore: env.clock.now - step.maxAge }),
                };
                expect(await store.prune(rule)).toBe(await reference.prune(rule));
              }
              expect(await observe(store, head, labels.store)).toEqual(await observe(reference, head, labels.reference));
            }
          } finally {
            await env.release(store);
          }
        }),
        { numRuns: env.runs },
      );
    }, runsTimeout(env.runs));
  });
}
