/**
 * Adopting the host's existing data: making collections that existed before
 * davsync was put in front of the host syncable without re-uploading
 * anything, and later bringing the journal back in line with the host after
 * changes davsync did not see (it was down, or the host wrote around it).
 *
 * Both are one reconcile: the host's listing is read into a snapshot
 * (`host-snapshot.ts`), and the sync log's `reconcile` compares it with the
 * journal and records the differences, one tracked collection at a time
 * under the log's tree lock. Adoptions run one at a time.
 */
import { isWithin, normalizePath, ROOT, type Entry, type JournalStore, type SyncLog } from '@davsync/core';
import { Adoption, HostSnapshot } from './host-snapshot';
import type { HostListing, HostMember, HostMembers } from './options';
import type { TrackedCollections } from './tracked';

const END = Number.MAX_SAFE_INTEGER;

/** What an adoption did. */
export interface AdoptResult {
  /** Tracked collections compared with the host (each with everything below it). */
  readonly collections: number;
  /** Changes recorded (new, changed and removed members and collections). */
  readonly changes: number;
}

export interface AdoptOptions {
  /**
   * Only reconcile this subtree (a member path). Default `/`: the listing is
   * the host's whole store, so a tracked collection the journal knows but
   * the listing lacks is recorded as removed. With a narrower `under`, only
   * collections within it are compared.
   */
  readonly under?: string;
}

/**
 * The normalised ETag of a header value or listing: quotes stripped;
 * `undefined` for a weak ETag (`W/"…"`), which is not the strong,
 * byte-exact validator a sync client needs (a framework's automatic
 * response-body ETag is weak, for example) and for anything empty.
 */
export function strongEtag(value: string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (v === '' || v.startsWith('W/') || v.includes(',')) return undefined;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.length === 2 ? undefined : v.slice(1, -1);
  return v.includes('"') ? undefined : v;
}

/** A listing member as an entry, validated; TypeError for a bad one. */
export function memberEntry(m: HostMember): Entry {
  if (typeof m !== 'object' || m === null || typeof m.path !== 'string') {
    throw new TypeError(`davsync: a listing member must be { path, etag?, collection? }, not ${JSON.stringify(m)}`);
  }
  if (m.etag !== undefined && typeof m.etag !== 'string') throw new TypeError(`davsync: the ETag of ${m.path} must be a string`);
  if (m.collection !== undefined && typeof m.collection !== 'boolean') throw new TypeError(`davsync: collection of ${m.path} must be a boolean`);
  let path: string;
  try {
    path = normalizePath(m.path);
  } catch {
    throw new TypeError(`davsync: not a member path in a listing: ${JSON.stringify(m.path)}`);
  }
  return { path, collection: m.collection ?? false, etag: strongEtag(m.etag) ?? '' };
}

async function membersOf(listing: HostListing): Promise<HostMembers> {
  return typeof listing === 'function' ? await listing() : listing;
}

export class Adopter {
  private queue: Promise<unknown> = Promise.resolve();
  /** The adoption running now, if any (they run one at a time). */
  private current: Adoption | undefined;

  constructor(
    private readonly log: SyncLog,
    private readonly tracked: TrackedCollections,
  ) {}

  private get journal(): JournalStore {
    return this.log.journal;
  }

  /** Tells a running adoption that these paths are being recorded (see `host-snapshot.ts`). */
  markRecorded(paths: Iterable<string>): void {
    const a = this.current;
    if (a !== undefined) for (const p of paths) a.markDirty(p);
  }

  /** Reconciles every tracked collection within `under` with the listing. */
  adopt(listing: HostListing, options: AdoptOptions = {}): Promise<AdoptResult> {
    let under: string;
    try {
      under = normalizePath(options.under ?? ROOT);
    } catch {
      return Promise.reject(new TypeError(`davsync: adopt: not a member path: ${JSON.stringify(options.under)}`));
    }
    return this.serially(() => this.run([under], listing, undefined));
  }

  /**
   * Adopts one tracked collection from `list`, unless the journal knows it
   * by the time it is this call's turn. Resolves true when the journal knows
   * it afterwards; false when `list` says there is no such collection.
   */
  adoptCollection(root: string, list: () => Promise<HostListing | undefined | null>): Promise<boolean> {
    return this.serially(async () => {
      if ((await this.journal.collection(root)) !== undefined) return true;
      const listing = await list();
      if (listing === undefined || listing === null) return false;
      await this.run([root], listing, root);
      return (await this.journal.collection(root)) !== undefined;
    });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The reconcile: snapshot the listing (paths recorded from now on are
   * dirty, see `host-snapshot.ts`), then reconcile each tracked collection the
   * listing or the journal has within `scope`. `exists` is a collection
   * known to exist even when the listing is empty.
   */
  private async run(scopes: readonly [string], listing: HostListing, exists: string | undefined): Promise<AdoptResult> {
    const under = scopes[0];
    const adoption = new Adoption(scopes);
    this.current = adoption;
    try {
      const snapshot = new HostSnapshot();
      if (exists !== undefined) snapshot.ensureCollection(exists);
      // A tracked collection above `under` is reconciled only within `under`.
      const targetOf = (root: string): string => (isWithin(root, under) ? root : under);
      const targets = new Set<string>();
      for await (const member of await membersOf(listing)) {
        const entry = memberEntry(member);
        if (!isWithin(entry.path, under)) continue;
        const root = this.tracked.rootOf(entry.path);
        if (root === undefined) continue;
        snapshot.add(entry, targetOf(root));
        targets.add(targetOf(root));
      }
      adoption.snapshot = snapshot;
      if (exists !== undefined) targets.add(exists);
      // Tracked collections the journal has here and the listing may lack.
      const consider = (path: string): void => {
        const root = this.tracked.rootOf(path);
        if (root !== undefined) targets.add(targetOf(root));
      };
      const self = await this.journal.get(under);
      if (self !== undefined && !self.removed) consider(under);
      for await (const batch of this.journal.scan(under, 'infinite', 0, END)) {
        for (const e of batch) if (!e.removed) consider(e.path);
      }
      let changes = 0;
      const tree = adoption.tree(this.journal);
      for (const target of [...targets].sort()) changes += await this.log.reconcile(target, tree);
      return { collections: targets.size, changes };
    } finally {
      this.current = undefined;
    }
  }
}
