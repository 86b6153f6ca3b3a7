/**
 * The one rule for what a change to the tree puts in the journal. The
 * engine (which journals what its adapter did) and a self-journaling store
 * (which journals inside its own transaction, `@davsync/adapter-postgres`)
 * both ask it, so they cannot drift apart:
 *
 * - a write, a new collection, a property patch: the member as changed;
 * - a removal: the member, then every live member below it, as removed;
 * - a copy: every member of the destination subtree as changed (RFC 6578
 *   §3.5.1: newly mapped members are reported even with an ETag they had
 *   before), plus removals of whatever the destination held that is gone;
 * - a move: the source subtree's removals, then the destination as for a copy;
 * - a reconcile (`refresh`, adopting a host's listing): the differences
 *   between the tree and the journal under a path, by ETag.
 *
 * The functions only read: the journal through a {@link JournalReader}, the
 * tree as it is *after* the change through a {@link TreeReader}. The caller
 * commits what they return.
 */
import type { Entry } from './entry';
import type { JournalChange, JournalStore } from './journal';
import { ROOT } from './paths';

const END = Number.MAX_SAFE_INTEGER;

/** What the rule reads of the journal (a store reads it inside its own transaction). */
export type JournalReader = Pick<JournalStore, 'get' | 'scan'>;

/**
 * What the rule reads of the tree after the change: a member, and the
 * direct members of a collection in batches. An adapter
 * (`treeOfAdapter`), or an in-memory listing (`EntryTree`).
 */
export interface TreeReader {
  stat(path: string): Promise<Entry | undefined>;
  list(path: string): AsyncIterable<readonly Entry[]>;
}

/** A change to the tree, described by the facts the rule needs. */
export type TreeMutation =
  /** A member written, a collection created, or dead properties patched: the member as it is now. */
  | { readonly kind: 'changed'; readonly entry: Entry }
  /** A member removed (a collection with everything below it). */
  | { readonly kind: 'removed'; readonly path: string; readonly collection: boolean }
  /** A copy: the tree now has the copy at `destination`. */
  | { readonly kind: 'copied'; readonly destination: string }
  /** A move: `source` (a collection or not, before the move) is now at `destination`. */
  | { readonly kind: 'moved'; readonly source: string; readonly collection: boolean; readonly destination: string };

/** The journal entries a mutation produces, in the order to commit them. */
export async function journalChangesOf(mutation: TreeMutation, journal: JournalReader, tree: TreeReader): Promise<JournalChange[]> {
  switch (mutation.kind) {
    case 'changed':
      // The root is no one's member: a patch of its properties changes no delta.
      return mutation.entry.path === ROOT ? [] : [changeOf(mutation.entry)];
    case 'removed':
      return removalChanges(mutation.path, mutation.collection, journal);
    case 'copied':
      return reconcileChanges(mutation.destination, journal, tree, { remapped: true });
    case 'moved':
      return [
        ...(await removalChanges(mutation.source, mutation.collection, journal)),
        ...(await reconcileChanges(mutation.destination, journal, tree, { remapped: true })),
      ];
  }
}

/** Tombstones for `path` and, first thing after it, every live member below it the journal knows. */
export async function removalChanges(path: string, collection: boolean, journal: JournalReader): Promise<JournalChange[]> {
  const out: JournalChange[] = [{ path, removed: true, collection }];
  if (collection) {
    for await (const batch of journal.scan(path, 'infinite', 0, END)) {
      for (const e of batch) if (!e.removed) out.push({ path: e.path, removed: true, collection: e.collection });
    }
  }
  return out;
}

/**
 * The journal changes that make `path`'s subtree match the tree. With
 * `remapped` (the destination of a COPY or MOVE) every member there counts
 * as changed even if its ETag is the same: RFC 6578 §3.5.1 reports newly
 * mapped members, and their dead properties may differ. Reads the subtree
 * of the tree once and the journal one collection at a time.
 */
export async function reconcileChanges(
  path: string,
  journal: JournalReader,
  tree: TreeReader,
  options: { readonly remapped?: boolean } = {},
): Promise<JournalChange[]> {
  const remapped = options.remapped ?? false;
  const changes: JournalChange[] = [];
  if (path !== ROOT) {
    const actual = await tree.stat(path);
    const known = live(await journal.get(path));
    if (actual === undefined) {
      if (known) changes.push(...(await removalChanges(path, known.collection, journal)));
      return changes;
    }
    if (remapped || differs(known, actual)) changes.push(changeOf(actual));
    if (known?.collection && !actual.collection) changes.push(...(await removalChanges(path, true, journal)).slice(1));
    if (!actual.collection) return changes;
  }
  await reconcileMembers(path, journal, tree, changes, remapped);
  return changes;
}

async function reconcileMembers(dir: string, journal: JournalReader, tree: TreeReader, changes: JournalChange[], remapped: boolean): Promise<void> {
  const known = new Map<string, { collection: boolean; etag: string }>();
  for await (const batch of journal.scan(dir, 1, 0, END)) {
    for (const e of batch) if (!e.removed) known.set(e.path, e);
  }
  const subdirs: string[] = [];
  for await (const batch of tree.list(dir)) {
    for (const entry of batch) {
      const k = known.get(entry.path);
      known.delete(entry.path);
      if (remapped || differs(k, entry)) changes.push(changeOf(entry));
      if (k?.collection && !entry.collection) changes.push(...(await removalChanges(entry.path, true, journal)).slice(1));
      if (entry.collection) subdirs.push(entry.path);
    }
  }
  for (const [gone, k] of known) changes.push(...(await removalChanges(gone, k.collection, journal)));
  for (const d of subdirs) await reconcileMembers(d, journal, tree, changes, remapped);
}

/** A live member as the change that records its current state. */
export function changeOf(entry: Entry): JournalChange {
  return { path: entry.path, removed: false, collection: entry.collection, etag: entry.etag };
}

function live<T extends { removed: boolean }>(e: T | undefined): T | undefined {
  return e !== undefined && !e.removed ? e : undefined;
}

function differs(known: { collection: boolean; etag: string } | undefined, actual: Entry): boolean {
  return known === undefined || known.collection !== actual.collection || known.etag !== actual.etag;
}
