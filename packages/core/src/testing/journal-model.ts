/**
 * The model behind the journal suite's differential test: random histories
 * of commits, prunes and clock ticks, and everything a client of a journal
 * can observe, so a store can be compared with `MemoryJournal` step by step.
 */
import fc from 'fast-check';
import type { CollectionState, JournalChange, JournalEntry, JournalStore, SyncLevel } from '../journal';
import { ROOT } from '../paths';

/** The revision no journal reaches: "through the end". */
export const END = Number.MAX_SAFE_INTEGER;

/** Every entry of a scan, its batches joined. */
export async function scanAll(j: JournalStore, c: string, level: SyncLevel, after = 0, through = END): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for await (const batch of j.scan(c, level, after, through)) out.push(...batch);
  return out;
}

/** Paths with prefix siblings (`/a`, `/ab`, `/a.b`) and LIKE wildcards, at several depths. */
const PATHS = ['/a', '/b', '/ab', '/a.b', '/%', '/a/b', '/a/c', '/a/_', '/b/a', '/a/b/c', '/a/b/c/d'];

export type Step =
  | { readonly op: 'commit'; readonly changes: JournalChange[] }
  | { readonly op: 'prune'; readonly maxTombstones: number | undefined; readonly maxAge: number | undefined }
  | { readonly op: 'tick'; readonly ms: number };

const changeArb: fc.Arbitrary<JournalChange> = fc.record(
  {
    path: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...PATHS) }, { weight: 1, arbitrary: fc.constant(ROOT) }),
    removed: fc.boolean(),
    collection: fc.boolean(),
    etag: fc.constantFrom('x', 'y', ''),
  },
  { requiredKeys: ['path', 'removed', 'collection'] },
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('commit' as const), changes: fc.array(changeArb, { maxLength: 5 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('prune' as const),
      maxTombstones: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      // Whole seconds for ages and ticks, so a tombstone exactly at the age limit is common.
      maxAge: fc.option(fc.integer({ min: 0, max: 5 }).map((s) => s * 1000), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3 }).map((s) => s * 1000) }) },
);

/**
 * Incarnation ids are random, so each store's are replaced by labels in
 * order of first sight. Both stores are observed in the same order, so their
 * labels agree exactly when their incarnations change at the same moments.
 */
export class Labels {
  readonly #labels = new Map<string, number>();
  of(incarnation: string): string {
    let n = this.#labels.get(incarnation);
    if (n === undefined) {
      n = this.#labels.size;
      this.#labels.set(incarnation, n);
    }
    return `incarnation#${n}`;
  }
}

/** Everything a client of the store can see, with incarnations labelled. */
export async function observe(j: JournalStore, head: number, labels: Labels): Promise<unknown> {
  const all = [ROOT, ...PATHS];
  const entries: Record<string, JournalEntry | undefined> = {};
  const collections: Record<string, CollectionState | undefined> = {};
  const scans: Record<string, string[]> = {};
  for (const p of all) {
    entries[p] = await j.get(p);
    const state = await j.collection(p);
    collections[p] = state === undefined ? undefined : { ...state, incarnation: labels.of(state.incarnation) };
  }
  const bounds: Array<[number, number]> = [
    [0, END],
    [head >> 1, END],
    [Math.floor(head / 3), Math.floor((2 * head) / 3)],
  ];
  for (const p of all) {
    for (const level of [1, 'infinite'] as const) {
      for (const [after, through] of bounds) {
        scans[`${p} ${level} ${after}..${through}`] = (await scanAll(j, p, level, after, through)).map(
          (e) => `${e.revision} ${e.path} ${e.removed ? 'removed' : 'live'} ${e.collection ? 'collection' : 'file'} ${e.etag}`,
        );
      }
    }
  }
  return { tombstones: await j.tombstoneCount(), entries, collections, scans };
}
