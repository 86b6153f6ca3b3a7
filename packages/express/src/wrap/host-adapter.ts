/**
 * The storage adapter of wrap mode. The store is the host, which davsync
 * never writes to, so this adapter only reads, and it reads one of two
 * things:
 *
 * - normally, **the journal**: what davsync has recorded about the host
 *   (live entries, with the host's ETags). This answers "does this
 *   collection exist?" for a sync REPORT and nothing else needs more;
 * - while an adoption runs, **a snapshot of the host's listing** for the
 *   subtrees being adopted, so that `SyncEngine.refresh` (the engine's own
 *   reconcile, under its tree lock) can compare host and journal and record
 *   the differences. Paths recorded while the adoption runs are *dirty*:
 *   for them (and below them) the journal wins over the snapshot, because
 *   the snapshot may predate the write that recorded them.
 *
 * Every mutating method throws: a caller that reaches one has a bug.
 */
import {
  isWithin,
  normalizePath,
  parentOf,
  ROOT,
  type ByteStream,
  type Entry,
  type JournalStore,
  type StorageAdapter,
  type TransferResult,
} from '@davsync/core';

const END = Number.MAX_SAFE_INTEGER;

/** The host's listing, indexed for `stat` and `list`. */
export class HostSnapshot {
  private readonly entries = new Map<string, Entry>();
  private readonly children = new Map<string, Map<string, Entry>>();

  /** Adds a member; collections between it and `root` (inclusive) are implied. */
  add(entry: Entry, root: string): void {
    for (let p = parentOf(entry.path); p !== undefined && isWithin(p, root); p = parentOf(p)) {
      if (this.entries.has(p)) break;
      this.put({ path: p, collection: true, etag: '' });
    }
    // A listed member replaces an implied collection, and a member listed
    // twice keeps its last entry.
    this.put(entry);
  }

  /** Adds a collection known to exist (it need not be listed). */
  ensureCollection(path: string): void {
    if (!this.entries.has(path)) this.put({ path, collection: true, etag: '' });
  }

  get(path: string): Entry | undefined {
    return this.entries.get(path);
  }

  childrenOf(path: string): Iterable<Entry> {
    return this.children.get(path)?.values() ?? [];
  }

  /** Every path, for finding the tracked collections in it. */
  paths(): IterableIterator<string> {
    return this.entries.keys();
  }

  private put(entry: Entry): void {
    this.entries.set(entry.path, entry);
    const parent = parentOf(entry.path);
    if (parent === undefined) return;
    let siblings = this.children.get(parent);
    if (siblings === undefined) {
      siblings = new Map();
      this.children.set(parent, siblings);
    }
    siblings.set(entry.path, entry);
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
}

export class HostAdapter implements StorageAdapter {
  private adoption: Adoption | undefined;

  constructor(private readonly recorded: JournalStore) {}

  /** Serves the adoption's scope from its snapshot while `run` runs. Adoptions must not overlap. */
  async during<T>(adoption: Adoption, run: () => Promise<T>): Promise<T> {
    this.adoption = adoption;
    try {
      return await run();
    } finally {
      this.adoption = undefined;
    }
  }

  /** Tells a running adoption that these paths are being recorded (see the file comment). */
  markRecorded(paths: Iterable<string>): void {
    const a = this.adoption;
    if (a !== undefined) for (const p of paths) a.markDirty(p);
  }

  async stat(path: string): Promise<Entry | undefined> {
    const p = normalizePath(path);
    const a = this.adoption;
    if (a !== undefined && a.covers(p) && !a.isDirty(p)) return a.snapshot?.get(p);
    return this.journalStat(p);
  }

  async *list(path: string): AsyncIterable<Entry> {
    const dir = normalizePath(path);
    const a = this.adoption;
    if (a === undefined || !a.covers(dir) || a.isDirty(dir)) {
      yield* this.journalList(dir);
      return;
    }
    const listed = new Set<string>();
    for (const entry of a.snapshot?.childrenOf(dir) ?? []) {
      listed.add(entry.path);
      if (!a.isDirty(entry.path)) yield entry;
      else {
        const recorded = await this.journalStat(entry.path);
        if (recorded !== undefined) yield recorded;
      }
    }
    for (const p of a.dirtyChildren(dir)) {
      if (listed.has(p)) continue;
      const recorded = await this.journalStat(p);
      if (recorded !== undefined) yield recorded;
    }
  }

  read(): Promise<ByteStream> {
    return refuse('read');
  }
  write(): Promise<Entry> {
    return refuse('write');
  }
  remove(): Promise<void> {
    return refuse('remove');
  }
  mkcol(): Promise<Entry> {
    return refuse('mkcol');
  }
  copy(): Promise<TransferResult> {
    return refuse('copy');
  }
  move(): Promise<TransferResult> {
    return refuse('move');
  }

  private async journalStat(path: string): Promise<Entry | undefined> {
    if (path === ROOT) return { path: ROOT, collection: true, etag: '' };
    const e = await this.recorded.get(path);
    return e === undefined || e.removed ? undefined : { path: e.path, collection: e.collection, etag: e.etag };
  }

  private async *journalList(dir: string): AsyncIterable<Entry> {
    for await (const batch of this.recorded.scan(dir, 1, 0, END)) {
      for (const e of batch) if (!e.removed) yield { path: e.path, collection: e.collection, etag: e.etag };
    }
  }
}

function refuse(operation: string): Promise<never> {
  return Promise.reject(new Error(`davsync: wrap mode never changes the host's store (${operation} called); the host does, and davsync records it`));
}
