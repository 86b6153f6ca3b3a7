/**
 * Recent changes: the newest journal entries in a collection's scope, for
 * people (an HTML index, a log), not for clients that sync (they use
 * tokens and `changes`). Built on the `JournalStore` contract alone, which
 * only scans forward from a revision: the newest entries are found by
 * scanning backwards in windows of revisions that double in width,
 * `(through - w, through]`, then the `2w` below it, and so on, until enough
 * entries are found or the windows reach the collection's creation.
 *
 * Cost: the windows are disjoint, so every entry in scope is read at most
 * once, and only entries in the windows are read. The windows stop at most
 * about twice the revision span that holds the `limit` newest entries (plus
 * the first width) below `through`, and there are at most log2 of the
 * revision count of them (one seek each). Memory is O(limit).
 */
import type { JournalEntry, JournalStore, SyncLevel } from './journal';

/** Width of the first window, in revisions (at least twice the limit); later windows double it. */
export const FIRST_WINDOW = 64;

/**
 * The newest entries in scope of `collection` at `level` with
 * `floor < revision <= through`, newest first, at most `limit` of them.
 * (`firstWindow` is for tests, which make windows narrow to hit their edges.)
 */
export async function newestEntries(
  journal: JournalStore,
  collection: string,
  level: SyncLevel,
  limit: number,
  floor: number,
  through: number,
  firstWindow = Math.max(FIRST_WINDOW, 2 * limit),
): Promise<JournalEntry[]> {
  const newestFirst: JournalEntry[] = [];
  let upper = through;
  let width = firstWindow;
  while (newestFirst.length < limit && upper > floor) {
    const lower = Math.max(floor, upper - width);
    const oldestFirst = await lastOf(journal.scan(collection, level, lower, upper), limit - newestFirst.length);
    for (let i = oldestFirst.length - 1; i >= 0; i--) newestFirst.push(oldestFirst[i] as JournalEntry);
    upper = lower;
    width *= 2;
  }
  return newestFirst;
}

/** The last `n` entries of a scan, in scan (increasing revision) order, keeping O(n) of them. */
async function lastOf(scan: AsyncIterable<readonly JournalEntry[]>, n: number): Promise<JournalEntry[]> {
  let kept: JournalEntry[] = [];
  for await (const batch of scan) {
    for (const e of batch) kept.push(e);
    if (kept.length >= 2 * n) kept = kept.slice(kept.length - n);
  }
  return kept.length > n ? kept.slice(kept.length - n) : kept;
}
