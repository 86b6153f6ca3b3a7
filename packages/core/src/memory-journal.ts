/**
 * The in-memory journal store: the latest entry per path in a map, and per
 * collection two revision-ordered indexes, `direct` (entries whose parent is
 * the collection: level 1) and `deeper` (entries further down: with `direct`,
 * level infinite). Revisions only grow, so each index is append-only; an
 * entry superseded by a newer revision of the same path leaves a stale item
 * behind, skipped on scan and dropped when stale items outnumber live ones.
 * A scan is a binary search plus a walk over the items after the token, so
 * its cost follows the changes in scope, not the size of the collection or
 * of its siblings.
 */
import type { CollectionState, JournalChange, JournalEntry, JournalStore, PruneRule, SyncLevel } from './journal';
import { checkJournalChange } from './journal';
import { ancestorsOf, parentOf, ROOT } from './paths';
import { newIncarnation } from './sync-token';

/** The map's value; mutated in place so index items can detect staleness. */
interface LiveEntry {
  path: string;
  /** -1 once pruned. */
  revision: number;
  removed: boolean;
  collection: boolean;
  etag: string;
  /** For live collections: incarnation id and creation revision. */
  incarnation: string;
  createdRevision: number;
}

/** Items in increasing revision order; an item is stale when its entry moved on. */
class RevisionIndex {
  revs: number[] = [];
  items: LiveEntry[] = [];
  stale = 0;

  append(entry: LiveEntry): void {
    this.revs.push(entry.revision);
    this.items.push(entry);
  }

  last(): number {
    return this.revs.length === 0 ? 0 : (this.revs[this.revs.length - 1] as number);
  }

  /** Index of the first item with revision > after. */
  seek(after: number): number {
    let lo = 0;
    let hi = this.revs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.revs[mid] as number) <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Called when one of this index's items went stale. */
  superseded(): void {
    this.stale++;
    // Rebuild into new arrays (never in place) so a scan in progress keeps a
    // consistent view of the arrays it started with.
    if (this.stale > 256 && this.stale * 2 > this.revs.length) {
      const revs: number[] = [];
      const items: LiveEntry[] = [];
      for (let i = 0; i < this.revs.length; i++) {
        const item = this.items[i] as LiveEntry;
        if (item.revision === this.revs[i]) {
          revs.push(this.revs[i] as number);
          items.push(item);
        }
      }
      this.revs = revs;
      this.items = items;
      this.stale = 0;
    }
  }
}

/** Per-collection-path indexes and retention horizons; outlives incarnations. */
class ScopeNode {
  readonly direct = new RevisionIndex();
  readonly deeper = new RevisionIndex();
  directHorizon = 0;
  deeperHorizon = 0;
}

interface TombstoneItem {
  readonly revision: number;
  readonly time: number;
  readonly entry: LiveEntry;
}

const BATCH = 512;

export interface MemoryJournalOptions {
  /** Clock for tombstone ages (ms since the epoch). */
  readonly now?: () => number;
}

export class MemoryJournal implements JournalStore {
  private head = 0;
  private readonly entries = new Map<string, LiveEntry>();
  private readonly nodes = new Map<string, ScopeNode>();
  private readonly root = { incarnation: newIncarnation(), createdRevision: 0 };
  private tombstoneQueue: TombstoneItem[] = [];
  private tombstoneHead = 0;
  private tombstones = 0;
  private readonly now: () => number;

  constructor(options: MemoryJournalOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async commit(changes: readonly JournalChange[]): Promise<number> {
    return this.commitSync(changes);
  }

  /** Synchronous commit: the memory store has nothing to wait for. */
  commitSync(changes: readonly JournalChange[]): number {
    // Nothing here can be rolled back, so the whole batch is checked before
    // anything changes: that is what makes a refused commit record nothing.
    for (const change of changes) checkJournalChange(change);
    const time = this.now();
    for (const change of changes) {
      if (change.path === ROOT) continue; // the root is no one's member
      const revision = ++this.head;
      let entry = this.entries.get(change.path);
      const wasLiveCollection = entry !== undefined && !entry.removed && entry.collection;
      if (entry === undefined) {
        entry = { path: change.path, revision, removed: false, collection: false, etag: '', incarnation: '', createdRevision: 0 };
        this.entries.set(change.path, entry);
      } else {
        if (entry.removed) this.tombstones--;
        entry.revision = revision;
        this.supersede(entry.path);
      }
      entry.removed = change.removed;
      entry.collection = change.collection;
      entry.etag = change.removed ? '' : (change.etag ?? '');
      if (!change.removed && change.collection && !wasLiveCollection) {
        entry.incarnation = newIncarnation();
        entry.createdRevision = revision;
      }
      this.index(entry);
      if (change.removed) {
        this.tombstones++;
        this.tombstoneQueue.push({ revision, time, entry });
      }
    }
    return this.head;
  }

  async get(path: string): Promise<JournalEntry | undefined> {
    const e = this.entries.get(path);
    return e === undefined ? undefined : snapshot(e);
  }

  async collection(path: string): Promise<CollectionState | undefined> {
    let incarnation: string;
    let createdRevision: number;
    if (path === ROOT) {
      ({ incarnation, createdRevision } = this.root);
    } else {
      const e = this.entries.get(path);
      if (e === undefined || e.removed || !e.collection) return undefined;
      ({ incarnation, createdRevision } = e);
    }
    const node = this.nodes.get(path);
    const direct = node?.directHorizon ?? 0;
    const deep = Math.max(direct, node?.deeperHorizon ?? 0);
    const currentRevision = Math.max(createdRevision, deep, node?.direct.last() ?? 0, node?.deeper.last() ?? 0);
    return { incarnation, createdRevision, currentRevision, horizon: { direct, deep } };
  }

  async *scan(collection: string, level: SyncLevel, after: number, through: number): AsyncIterable<readonly JournalEntry[]> {
    const node = this.nodes.get(collection);
    if (node === undefined) return;
    const a = node.direct;
    const b = level === 'infinite' ? node.deeper : undefined;
    // Capture the arrays: compaction swaps them, appends only add past `through`.
    const aRevs = a.revs, aItems = a.items;
    const bRevs = b?.revs ?? [], bItems = b?.items ?? [];
    let i = a.seek(after);
    let j = b === undefined ? 0 : b.seek(after);
    let batch: JournalEntry[] = [];
    for (;;) {
      const ra = i < aRevs.length ? (aRevs[i] as number) : Infinity;
      const rb = j < bRevs.length ? (bRevs[j] as number) : Infinity;
      const rev = Math.min(ra, rb);
      if (rev > through) break;
      const item = (ra <= rb ? aItems[i++] : bItems[j++]) as LiveEntry;
      if (item.revision !== rev) continue; // superseded or pruned
      batch.push(snapshot(item));
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async prune(rule: PruneRule): Promise<number> {
    let dropped = 0;
    const max = rule.maxTombstones ?? Infinity;
    const before = rule.removedBefore ?? -Infinity;
    const q = this.tombstoneQueue;
    while (this.tombstoneHead < q.length) {
      const item = q[this.tombstoneHead] as TombstoneItem;
      const live = item.entry.revision === item.revision && item.entry.removed;
      if (live && this.tombstones <= max && item.time >= before) break;
      this.tombstoneHead++;
      if (!live) continue;
      this.dropTombstone(item.entry);
      dropped++;
    }
    if (this.tombstoneHead > 1024 && this.tombstoneHead * 2 > q.length) {
      this.tombstoneQueue = q.slice(this.tombstoneHead);
      this.tombstoneHead = 0;
    }
    return dropped;
  }

  async tombstoneCount(): Promise<number> {
    return this.tombstones;
  }

  /** Number of paths with an entry (live or tombstone). */
  get size(): number {
    return this.entries.size;
  }

  private dropTombstone(entry: LiveEntry): void {
    const revision = entry.revision;
    entry.revision = -1;
    this.supersede(entry.path);
    this.entries.delete(entry.path);
    this.tombstones--;
    const parent = parentOf(entry.path) as string;
    const p = this.node(parent);
    p.directHorizon = Math.max(p.directHorizon, revision);
    for (const a of ancestorsOf(parent)) {
      const n = this.node(a);
      n.deeperHorizon = Math.max(n.deeperHorizon, revision);
    }
  }

  private index(entry: LiveEntry): void {
    const parent = parentOf(entry.path) as string;
    this.node(parent).direct.append(entry);
    for (const a of ancestorsOf(parent)) this.node(a).deeper.append(entry);
  }

  /** The entry at `path` has just left its previous revision: its old items are stale. */
  private supersede(path: string): void {
    const parent = parentOf(path) as string;
    this.nodes.get(parent)?.direct.superseded();
    for (const a of ancestorsOf(parent)) this.nodes.get(a)?.deeper.superseded();
  }

  private node(path: string): ScopeNode {
    let n = this.nodes.get(path);
    if (n === undefined) {
      n = new ScopeNode();
      this.nodes.set(path, n);
    }
    return n;
  }
}

function snapshot(e: LiveEntry): JournalEntry {
  return { path: e.path, revision: e.revision, removed: e.removed, collection: e.collection, etag: e.etag };
}
