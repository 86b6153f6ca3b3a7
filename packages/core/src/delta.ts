/**
 * Deltas (RFC 6578 §3.3–3.7): what changed in a collection since a token.
 * `planDelta` validates the request before anything is sent, so an invalid
 * token is a clean error rather than a half-written response; the returned
 * cursor then streams the changes in revision order and, once iterated,
 * knows the new token and whether it truncated.
 */
import { DavError, invalidSyncToken, notFound } from './errors';
import type { JournalEntry, JournalStore, SyncLevel } from './journal';
import { parentOf } from './paths';
import { accessView, type DeltaAccess, type RevocationLog } from './revocations';
import { formatSyncToken, parseSyncToken } from './sync-token';

/** Why a child collection cannot be synced through its parent (RFC 6578 §3.3). */
export type UnsyncableReason = 'supported-report' | 'sync-traversal-supported';

/** One member in a sync response. */
export type Change =
  /** §3.5.1: new, or its mapped resource changed (ETag or properties). */
  | { readonly type: 'changed'; readonly path: string; readonly collection: boolean; readonly etag: string }
  /** §3.5.2: removed since the token (also: created then removed). */
  | { readonly type: 'removed'; readonly path: string; readonly collection: boolean }
  /** §3.3: a child collection that cannot be synced by traversal; sent once. */
  | { readonly type: 'forbidden'; readonly path: string; readonly reason: UnsyncableReason };

export interface DeltaOptions {
  /** RFC 6578 §3.3 sync-level. */
  readonly level: SyncLevel;
  /** RFC 6578 §3.7 client limit (DAV:nresults). */
  readonly limit?: number;
  /**
   * What this client may see of each change (access control): the change
   * itself, another one (a member the client lost access to, reported as
   * removed), or `undefined` to leave it out. Applied before paging and
   * before removals inside a removed collection are left out, so a member
   * whose collection's removal this client is not shown still has its own
   * removal reported. Default: every change as it is.
   */
  readonly view?: DeltaView;
  /**
   * Who reads this delta, when access is restricted: each change passes
   * through their view (`accessView`), which leaves out what they may not
   * read and reports what they lost access to since the token as removed.
   * Ignored when `view` is given.
   */
  readonly access?: DeltaAccess;
}

/** See {@link DeltaOptions.view}. */
export type DeltaView = (change: Change) => Change | undefined | Promise<Change | undefined>;

/** Engine-wide settings a delta needs. */
export interface DeltaSettings {
  /** Server page size: at most this many changes per response. */
  readonly pageSize?: number;
  /** Which collections cannot be synced (by traversal); undefined = all can. */
  readonly unsyncable?: (collectionPath: string) => UnsyncableReason | undefined;
  /** Who lost read access to what and when, for {@link DeltaOptions.access}. */
  readonly revocations?: RevocationLog;
}

/** A finished delta, collected. */
export interface ChangeSet {
  /** The token describing exactly the state the changes bring the client to. */
  readonly token: string;
  /** True when more changes remain: page on with `token` (RFC 6578 §3.6). */
  readonly truncated: boolean;
  readonly changes: readonly Change[];
}

interface DeltaPlan {
  readonly collection: string;
  readonly level: SyncLevel;
  readonly initial: boolean;
  readonly after: number;
  readonly through: number;
  readonly max: number;
  readonly incarnation: string;
  readonly view: DeltaView | undefined;
}

/**
 * Validates a sync request and returns a cursor over its changes. Throws
 * `not-found` for a missing collection, `supported-report` for a member that
 * is not a (syncable) collection, `invalid-sync-token` for a token this
 * collection cannot honour exactly, and `number-of-matches-within-limits`
 * for a limit below 1.
 */
export async function planDelta(
  journal: JournalStore,
  collection: string,
  token: string | null,
  options: DeltaOptions,
  settings: DeltaSettings = {},
): Promise<DeltaCursor> {
  const state = await journal.collection(collection);
  if (state === undefined) {
    const entry = await journal.get(collection);
    if (entry !== undefined && !entry.removed) {
      throw new DavError('supported-report', `sync-collection needs a collection: ${collection}`, collection);
    }
    throw notFound(collection);
  }
  if (settings.unsyncable?.(collection) === 'supported-report') {
    throw new DavError('supported-report', `collection cannot be synchronized: ${collection}`, collection);
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new DavError('number-of-matches-within-limits', `cannot limit results to ${options.limit}`);
  }
  let after = 0;
  if (token !== null) {
    const parts = parseSyncToken(token);
    if (parts === undefined) throw invalidSyncToken('not a token issued by this server');
    if (parts.incarnation !== state.incarnation) {
      throw invalidSyncToken('the token belongs to another collection or an earlier incarnation of this one');
    }
    if (parts.revision < state.createdRevision) throw invalidSyncToken('the token predates the collection');
    if (parts.revision > state.currentRevision) throw invalidSyncToken('the token is from the future');
    const horizon = options.level === 1 ? state.horizon.direct : state.horizon.deep;
    if (parts.revision < horizon) throw invalidSyncToken('the token is older than the retained change history');
    after = parts.revision;
  }
  return new DeltaCursor(
    journal,
    {
      collection,
      level: options.level,
      initial: token === null,
      after,
      through: state.currentRevision,
      max: Math.min(options.limit ?? Infinity, settings.pageSize ?? Infinity),
      incarnation: state.incarnation,
      view: options.view ?? (options.access === undefined ? undefined : accessView(options.access, settings.revocations, token === null ? undefined : after)),
    },
    settings,
  );
}

/** Streams a validated delta; read `token` and `truncated` after iterating. */
export class DeltaCursor implements AsyncIterable<Change> {
  private started = false;
  private result: { token: string; truncated: boolean } | undefined;

  /**
   * Cursors come from `SyncEngine.openChanges`.
   *
   * @internal
   */
  constructor(
    private readonly journal: JournalStore,
    private readonly plan: DeltaPlan,
    private readonly settings: DeltaSettings,
  ) {}

  /** The new sync token; available once iteration has finished. */
  get token(): string {
    return this.finished().token;
  }

  /** Whether the response was truncated; available once iteration has finished. */
  get truncated(): boolean {
    return this.finished().truncated;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Change> {
    if (this.started) throw new Error('davsync: a delta cursor can be iterated only once');
    this.started = true;
    const { plan } = this;
    let emitted = 0;
    let consumed = plan.after;
    // Collections within scope whose removal this delta reports, cached:
    // their members' removals are implied (RFC 6578 §3.5.2, level infinite).
    const removedInDelta = new Map<string, boolean>();
    for await (const batch of this.journal.scan(plan.collection, plan.level, plan.after, plan.through)) {
      for (const entry of batch) {
        const change = await this.classify(entry, removedInDelta);
        if (change !== undefined) {
          if (emitted === plan.max) {
            // A page never ends inside the changes it promises: the token is
            // the last revision fully dealt with, so the next page resumes here.
            this.result = await this.settle(consumed, true);
            return;
          }
          emitted++;
        }
        consumed = entry.revision;
        if (change !== undefined) yield change;
      }
    }
    this.result = await this.settle(plan.through, false);
  }

  /**
   * The answer's token and truncation, unless tombstones in this delta's
   * range were pruned while it was read: the scan may then have skipped a
   * removal, and a token past it would make the client miss it for ever.
   * The client then gets its own token back in a truncated answer; asking
   * again with it, it is refused (403 valid-sync-token, now older than the
   * retained history) and starts over with a full sync. Rare: pruning runs
   * only past the retention limit.
   */
  private async settle(revision: number, truncated: boolean): Promise<{ token: string; truncated: boolean }> {
    const { plan } = this;
    if (!plan.initial) {
      const state = await this.journal.collection(plan.collection);
      if (state !== undefined && state.incarnation === plan.incarnation) {
        const horizon = plan.level === 1 ? state.horizon.direct : state.horizon.deep;
        if (horizon > plan.after) return { token: this.tokenAt(plan.after), truncated: true };
      }
    }
    return { token: this.tokenAt(revision), truncated };
  }

  /** Collects the whole delta. */
  async collect(): Promise<ChangeSet> {
    const changes: Change[] = [];
    for await (const c of this) changes.push(c);
    return { token: this.token, truncated: this.truncated, changes };
  }

  private async classify(entry: JournalEntry, removedInDelta: Map<string, boolean>): Promise<Change | undefined> {
    const { plan } = this;
    const change = await this.viewed(await this.changeOf(entry));
    if (change === undefined) return undefined;
    // §3.4: an initial sync lists members, never removals (nor what a view makes one).
    if (plan.initial && change.type === 'removed') return undefined;
    if (plan.level === 'infinite' && change.type === 'removed') {
      for (let p = parentOf(entry.path); p !== undefined && p !== plan.collection; p = parentOf(p)) {
        // §3.5.2: no removal of a member of a collection whose removal this
        // delta reports, whether that removal comes before or after it.
        if (await this.removedInDelta(p, removedInDelta)) return undefined;
      }
    }
    return change;
  }

  /** The change as this client's view shows it. */
  private async viewed(change: Change | undefined): Promise<Change | undefined> {
    const view = this.plan.view;
    return change === undefined || view === undefined ? change : await view(change);
  }

  /** What the journal entry means to this delta, before the client's view. */
  private async changeOf(entry: JournalEntry): Promise<Change | undefined> {
    const { plan, settings } = this;
    if (plan.initial && entry.removed) return undefined;
    if (plan.level === 'infinite') {
      for (let p = parentOf(entry.path); p !== undefined && p !== plan.collection; p = parentOf(p)) {
        // Members of a collection that cannot be traversed are not reported.
        if (settings.unsyncable?.(p) !== undefined) return undefined;
      }
      if (!entry.removed && entry.collection) {
        const reason = settings.unsyncable?.(entry.path);
        if (reason !== undefined) {
          // §3.3: the 403 is sent once, when the collection is first reported.
          if (!plan.initial) {
            const state = await this.journal.collection(entry.path);
            if (state !== undefined && state.createdRevision <= plan.after) return undefined;
          }
          return { type: 'forbidden', path: entry.path, reason };
        }
      }
    }
    return entry.removed
      ? { type: 'removed', path: entry.path, collection: entry.collection }
      : { type: 'changed', path: entry.path, collection: entry.collection, etag: entry.etag };
  }

  /** True when this delta reports `path` as a removed collection (to this client: through its view). */
  private async removedInDelta(path: string, cache: Map<string, boolean>): Promise<boolean> {
    let removed = cache.get(path);
    if (removed === undefined) {
      const e = await this.journal.get(path);
      removed = false;
      if (e !== undefined && e.collection && e.revision > this.plan.after && e.revision <= this.plan.through) {
        if (this.plan.view === undefined) removed = e.removed;
        else removed = (await this.viewed(await this.changeOf(e)))?.type === 'removed';
      }
      cache.set(path, removed);
    }
    return removed;
  }

  private tokenAt(revision: number): string {
    return formatSyncToken({ incarnation: this.plan.incarnation, revision });
  }

  private finished(): { token: string; truncated: boolean } {
    if (this.result === undefined) throw new Error('davsync: the delta has not been read to the end');
    return this.result;
  }
}
