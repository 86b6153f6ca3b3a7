/**
 * What the journal conformance tests share: a fresh store per test, the
 * suite's clock, and short names for the changes they commit.
 */
import type { JournalChange, JournalEntry, JournalStore } from '../../journal';

export const START_TIME = 1_700_000_000_000;

/** What the suite hands to `create`. */
export interface JournalSuiteContext {
  /**
   * The suite's clock (ms since the epoch). Give it to the store as its time
   * source for tombstone ages, so pruning by age is tested deterministically.
   */
  readonly now: () => number;
}

/** One store's test environment, made by `defineJournalSuite`. */
export interface JournalSuiteEnv {
  /** The clock `context.now` reads; tests set and advance it. Reset to START_TIME before each test. */
  readonly clock: { now: number };
  readonly context: JournalSuiteContext;
  /** A fresh store, released after the test. */
  readonly fresh: () => Promise<JournalStore>;
  /** A fresh store the caller releases (`release`). */
  readonly create: () => Promise<JournalStore>;
  readonly release: (store: JournalStore) => Promise<void>;
  /** Random histories in the differential test. */
  readonly runs: number;
}

export const put = (path: string, etag = 'e'): JournalChange => ({ path, removed: false, collection: false, etag });
export const mk = (path: string, etag = 'd'): JournalChange => ({ path, removed: false, collection: true, etag });
export const del = (path: string, collection = false): JournalChange => ({ path, removed: true, collection });

export const paths = (entries: readonly JournalEntry[]): string[] => entries.map((e) => e.path);
