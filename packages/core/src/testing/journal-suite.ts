/**
 * The journal-store conformance suite: every `JournalStore` (the in-memory
 * one, a database-backed one, a third party's) is checked by the same tests,
 * and by a randomized differential test that replays the same commits and
 * prunes on the store and on a `MemoryJournal`, the reference, comparing
 * every observable result.
 */
import { afterEach, beforeEach, describe } from '@jest/globals';
import type { JournalStore } from '../journal';
import { collectionTests } from './journal/collections';
import { differentialTest } from './journal/differential';
import { START_TIME, type JournalSuiteContext, type JournalSuiteEnv } from './journal/env';
import { retentionTests } from './journal/retention';
import { revisionAndScanTests } from './journal/revisions-and-scans';

export type { JournalSuiteContext } from './journal/env';

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
    const clock = { now: START_TIME };
    let opened: JournalStore[] = [];
    const context: JournalSuiteContext = { now: () => clock.now };
    /** A fresh store, released after the test. */
    const fresh = async (): Promise<JournalStore> => {
      const store = await options.create(context);
      opened.push(store);
      return store;
    };
    beforeEach(() => {
      clock.now = START_TIME;
    });
    afterEach(async () => {
      const stores = opened;
      opened = [];
      for (const s of stores) await release(s);
    });

    const env: JournalSuiteEnv = { clock, context, fresh, create: async () => options.create(context), release, runs };
    revisionAndScanTests(env);
    collectionTests(env);
    retentionTests(env);
    differentialTest(env);
  });
}
