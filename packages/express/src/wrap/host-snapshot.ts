/**
 * What wrap mode knows of the host's members, as the sync log's reconcile
 * and the request context read them. The host is the store, and davsync
 * never writes to it, so there are two sources:
 *
 * - normally, **the journal**: what davsync has recorded about the host
 *   (live entries, with the host's ETags; `recordedMembers`). This answers
 *   "does this collection exist?" for a sync REPORT and nothing else needs
 *   more;
 * - while an adoption runs, **a snapshot of the host's listing** for the
 *   subtrees being adopted (`Adoption.tree`), so that `SyncLog.reconcile`
 *   (under the log's tree lock) can compare host and journal and record the
 *   differences. Paths recorded while the adoption runs are *dirty*: for
 *   them (and below them) the journal wins over the snapshot, because the
 *   snapshot may predate the write that recorded them.
 */
import { EntryTree, isWithin, parentOf, ROOT, type Entry, type JournalStore, type TreeReader } from '@davsync/core';
import type { MemberReader } from '../context';

const END = Number.MAX_SAFE_INTEGER;

/** The host's listing, indexed for `stat` and `list`. */
export class HostSnapshot extends EntryTree {
  /** Adds a member; collections between it and `root` (inclusive) are implied. */
  add(entry: Entry, root: string): void {
    for (let p = parentOf(entry.path); p !== undefined && isWithin(p, root); p = parentOf(p)) {
      if (this.get(p) !== undefined) break;
      this.put({ path: p, collection: true, etag: '' });
    }
    // A listed member replaces an implied collection, and a member listed
    // twice keeps its last entry.
    this.put(entry);
  }

  /** Adds a collection known to exist (it need not be listed). */
  ensureCollection(path: string): void {
    if (this.get(path) === undefined) this.put({ path, collection: true, etag: '' });
  }
}

/** An adoption in progress: its scope, its snapshot (once read) and the paths recorded meanwhile. */
export class Adoption {
  snapshot: HostSnapshot | undefined;
  private readonly dirty = new Set<string>();

  constructor(readonly scopes: readonly string[]) {}

  covers(path: string): boolean {
    return this.snapshot !== undefined && this.scopes.some((s) => isWithin(path, s));
  }

  markDirty(path: string): void {
    this.dirty.add(path);
  }

  /** True when `path` or one of its ancestors was recorded since the adoption began. */
  isDirty(path: string): boolean {
    if (this.dirty.size === 0) return false;
    for (let p: string | undefined = path; p !== undefined; p = parentOf(p)) if (this.dirty.has(p)) return true;
    return false;
  }

  /** Dirty paths whose parent is `dir`. */
  dirtyChildren(dir: string): string[] {
    return [...this.dirty].filter((p) => parentOf(p) === dir);
  }

  /** The host as this adoption sees it: the snapshot in its scope, the journal for dirty paths and elsewhere. */
  tree(journal: JournalStore): TreeReader {
    const recorded = recordedMembers(journal);
    return {
      stat: async (path) => (this.covers(path) && !this.isDirty(path) ? this.snapshot?.get(path) : recorded.stat(path)),
      list: (dir) => this.listing(dir, recorded),
    };
  }

  private async *listing(dir: string, recorded: MemberReader): AsyncIterable<readonly Entry[]> {
    const out: Entry[] = [];
    if (!this.covers(dir) || this.isDirty(dir)) {
      for await (const e of recorded.list(dir)) out.push(e);
    } else {
      const listed = new Set<string>();
      for (const entry of this.snapshot?.childrenOf(dir) ?? []) {
        listed.add(entry.path);
        const member = this.isDirty(entry.path) ? await recorded.stat(entry.path) : entry;
        if (member !== undefined) out.push(member);
      }
      for (const p of this.dirtyChildren(dir)) {
        if (listed.has(p)) continue;
        const member = await recorded.stat(p);
        if (member !== undefined) out.push(member);
      }
    }
    if (out.length > 0) yield out;
  }
}

/** The members the journal has recorded (live entries), read like a store; the root always exists. */
export function recordedMembers(journal: JournalStore): MemberReader {
  return {
    stat: async (path) => {
      if (path === ROOT) return { path: ROOT, collection: true, etag: '' };
      const e = await journal.get(path);
      return e === undefined || e.removed ? undefined : { path: e.path, collection: e.collection, etag: e.etag };
    },
    list: async function* (dir) {
      for await (const batch of journal.scan(dir, 1, 0, END)) {
        for (const e of batch) if (!e.removed) yield { path: e.path, collection: e.collection, etag: e.etag };
      }
    },
  };
}
