/**
 * A tree of entries held in memory, read as a {@link TreeReader}: what a
 * store that already has a subtree's rows in hand (one query) gives the
 * journal rule instead of a `stat` and `list` per collection.
 */
import type { Entry } from './entry';
import type { TreeReader } from './journal-changes';
import { parentOf } from './paths';

export class EntryTree implements TreeReader {
  private readonly entries = new Map<string, Entry>();
  private readonly children = new Map<string, Map<string, Entry>>();

  constructor(entries: Iterable<Entry> = []) {
    for (const e of entries) this.put(e);
  }

  /** Adds or replaces a member (its parent need not be in the tree). */
  put(entry: Entry): void {
    this.entries.set(entry.path, entry);
    const parent = parentOf(entry.path);
    if (parent === undefined) return;
    let siblings = this.children.get(parent);
    if (siblings === undefined) this.children.set(parent, (siblings = new Map()));
    siblings.set(entry.path, entry);
  }

  get(path: string): Entry | undefined {
    return this.entries.get(path);
  }

  /** The direct members of `path` held here. */
  childrenOf(path: string): Iterable<Entry> {
    return this.children.get(path)?.values() ?? [];
  }

  /** Every path held. */
  paths(): IterableIterator<string> {
    return this.entries.keys();
  }

  async stat(path: string): Promise<Entry | undefined> {
    return this.entries.get(path);
  }

  async *list(path: string): AsyncIterable<readonly Entry[]> {
    const members = [...this.childrenOf(path)];
    if (members.length > 0) yield members;
  }
}
