/**
 * The change journal: for every member path that ever existed, its latest
 * state (live or removed) and the revision at which it got that state.
 * Revisions are integers, strictly increasing, one per journal entry, shared
 * by the whole store. A delta since revision r is "entries in scope with
 * revision > r, in revision order"; because only the latest entry per path is
 * kept, repeated changes coalesce for free.
 *
 * The in-memory implementation is `MemoryJournal`; durable stores (a file,
 * a database) implement this interface. The engine holds all RFC 6578 logic;
 * a journal store only stores and indexes.
 */
import { badRequest } from './errors';
import { isMemberPath } from './paths';

/** RFC 6578 §3.3: direct members only, or all descendants. */
export type SyncLevel = 1 | 'infinite';

/** The latest known state of one path. */
export interface JournalEntry {
  readonly path: string;
  /** Revision at which the path reached this state. */
  readonly revision: number;
  /** True for a tombstone: the member was removed at `revision`. */
  readonly removed: boolean;
  /** Whether the member is (or, for a tombstone, was) a collection. */
  readonly collection: boolean;
  /** ETag of a live member (`''` for a tombstone). */
  readonly etag: string;
}

/** One mutation to record. */
export interface JournalChange {
  readonly path: string;
  readonly removed: boolean;
  readonly collection: boolean;
  /** ETag of the live member; ignored for removals. */
  readonly etag?: string;
}

/** Sync state of a live collection. */
export interface CollectionState {
  /**
   * Identifies this incarnation of the collection: a new value every time a
   * collection comes into existence at this path (created, moved or copied
   * here, or re-created after a delete). Tokens carry it, so a token of a
   * previous incarnation or of another collection is recognised as invalid.
   */
  readonly incarnation: string;
  /** Revision at which this incarnation was created (0 for the root). */
  readonly createdRevision: number;
  /**
   * The collection's current revision: the highest revision of any entry in
   * its subtree scope, or of its creation, or of a pruned tombstone in its
   * scope, whichever is highest. Never decreases. Every entry in scope
   * committed so far has a revision at or below it, so it is the revision of
   * an up-to-date token.
   */
  readonly currentRevision: number;
  /**
   * Retention horizons: the highest revision of a pruned tombstone among
   * direct members (`direct`) and among all descendants (`deep`, which
   * includes direct). A token below the horizon of its level may have missed
   * a removal and is invalid.
   */
  readonly horizon: { readonly direct: number; readonly deep: number };
}

/** Which tombstones a `prune` call may drop. */
export interface PruneRule {
  /** Keep at most this many tombstones (oldest are dropped first). */
  readonly maxTombstones?: number;
  /** Drop tombstones removed before this time (ms since the epoch). */
  readonly removedBefore?: number;
}

export interface JournalStore {
  /**
   * Records changes atomically, in order, as consecutive new revisions, and
   * returns the revision of the last one. A change that makes a path a live
   * collection where there was none gives it a new incarnation. When this
   * resolves the entries are durable (for a durable store) and visible.
   *
   * Visibility is in commit order: a reader must never see a revision while
   * a lower one is still uncommitted, or a client syncing in between would
   * skip the lower one for ever.
   *
   * A change to the root (`/`) is ignored: the root is no one's member.
   * A change that {@link checkJournalChange} refuses throws `bad-request`
   * and the whole call records nothing.
   */
  commit(changes: readonly JournalChange[]): Promise<number>;

  /** The latest entry of a path, or `undefined` if it was never recorded (or pruned). */
  get(path: string): Promise<JournalEntry | undefined>;

  /** State of the live collection at `path`, or `undefined` if there is none. */
  collection(path: string): Promise<CollectionState | undefined>;

  /**
   * Latest entries in a collection's scope with `after < revision <= through`,
   * in increasing revision order, in batches. Scope is the direct members for
   * level 1, all descendants for infinite; each path appears at most once.
   * The cost must be proportional to the entries yielded (plus a logarithmic
   * seek), never to the size of the collection or of unrelated collections.
   */
  scan(collection: string, level: SyncLevel, after: number, through: number): AsyncIterable<readonly JournalEntry[]>;

  /**
   * Drops tombstones by the rule, oldest first, advancing the horizons of
   * every collection whose scope they were in. Returns how many were dropped.
   */
  prune(rule: PruneRule): Promise<number>;

  /** Number of tombstones currently kept. */
  tombstoneCount(): Promise<number>;

  /** Releases resources (files, connections). */
  close?(): Promise<void>;
}

/**
 * Throws `bad-request` unless `change` is one a journal store can record: a
 * normalised member path, boolean flags and a string (or absent) ETag. The
 * engine only ever passes such changes; stores check anyway, because an
 * invalid path would corrupt their scope indexes (a relative path has no
 * parent chain ending at the root).
 */
export function checkJournalChange(change: JournalChange): void {
  if (typeof change !== 'object' || change === null) throw badRequest('davsync: a journal change must be an object');
  if (typeof change.path !== 'string' || !isMemberPath(change.path)) {
    throw badRequest(`davsync: not a member path in a journal change: ${JSON.stringify(change.path)}`);
  }
  if (typeof change.removed !== 'boolean' || typeof change.collection !== 'boolean') {
    throw badRequest(`davsync: journal change flags must be booleans: ${change.path}`);
  }
  if (change.etag !== undefined && typeof change.etag !== 'string') {
    throw badRequest(`davsync: journal change ETag must be a string: ${change.path}`);
  }
}
