/**
 * Change capture: what a write the host answered with 2xx changed, in
 * journal terms. Planned before the host sees the request (is it about a
 * tracked collection at all? which paths does it touch?), computed after
 * the host answered (`recorder.ts` records it while `held-response.ts`
 * holds the host's response).
 *
 * | method | records |
 * |---|---|
 * | PUT | the member, with its ETag |
 * | PROPPATCH | the member as changed (same or new ETag) |
 * | MKCOL, MKCALENDAR | a new collection (a new incarnation when tracked) |
 * | DELETE | removal of the member, or of a collection and all below it |
 * | MOVE | removal at the source, the member or subtree at the destination |
 * | COPY | the member or subtree at the destination |
 *
 * ETags: the response's ETag header when it is strong, else the host's
 * `etagOf(path)`, else what the journal knows (MOVE/COPY: the source's,
 * PROPPATCH: the member's own), else empty. A collection arriving by MOVE
 * or COPY is read from the host's `list(destination)` when given, else
 * rebuilt from the journal's record of the source (the host is assumed to
 * keep ETags on MOVE and COPY).
 */
import { isWithin, normalizePath, parentOf, rebase, type JournalStore, type RecordedChange } from '@davsync/core';
import type { SyncContext } from '../context';
import { destinationPath } from '../methods/copy-move';
import { memberEntry, strongEtag } from './adopt';
import type { HeldResponse } from './held-response';
import type { HostMembers } from './options';
import type { TrackedCollections } from './tracked';

const END = Number.MAX_SAFE_INTEGER;

/** Methods whose 2xx answers are recorded. */
export const CAPTURED_METHODS: ReadonlySet<string> = new Set(['PUT', 'DELETE', 'MKCOL', 'MKCALENDAR', 'MOVE', 'COPY', 'PROPPATCH']);

/** What capture needs from the wrap middleware. */
export interface CaptureDeps {
  readonly journal: JournalStore;
  readonly tracked: TrackedCollections;
  /** True when the tracked collection `root` is known to the journal (adopting it first when it can). */
  known(root: string): Promise<boolean>;
  /** The host's `etagOf`, normalised; `undefined` when it has none or there is no callback. */
  etagOf(path: string): Promise<string | undefined>;
  /** The host's `list`, or `undefined` when it gave none. */
  readonly list: ((path: string) => Promise<HostMembers | undefined>) | undefined;
}

/** A write to record once the host has answered it. */
export interface CapturePlan {
  readonly method: string;
  readonly path: string;
  /** MOVE and COPY. */
  readonly destination?: string;
  /** COPY with `Depth: 0`: the collection without its members. */
  readonly shallow?: boolean;
  /** The paths the write changes (claimed in the gate while it runs). */
  readonly paths: readonly string[];
}

/**
 * The plan for a write, or `undefined` when it cannot change anything the
 * journal tracks (or is malformed: then the host refuses it anyway).
 */
export async function planCapture(ctx: SyncContext, deps: CaptureDeps): Promise<CapturePlan | undefined> {
  const method = ctx.req.method;
  const path = ctx.path;
  const inScope = (p: string): boolean => deps.tracked.rootOf(p) !== undefined;
  if (method === 'MOVE' || method === 'COPY') {
    let destination: string;
    try {
      destination = destinationPath(ctx);
    } catch {
      return undefined;
    }
    const relevant =
      deps.list !== undefined ||
      inScope(path) ||
      inScope(destination) ||
      (await knownBelow(deps.journal, path)) ||
      (await knownBelow(deps.journal, destination));
    if (!relevant) return undefined;
    return { method, path, destination, shallow: method === 'COPY' && ctx.header('depth')?.trim() === '0', paths: [path, destination] };
  }
  if (method === 'DELETE') {
    return inScope(path) || (await knownBelow(deps.journal, path)) ? { method, path, paths: [path] } : undefined;
  }
  return inScope(path) ? { method, path, paths: [path] } : undefined;
}

/** The changes a 2xx answer to the planned write made, in the order to record them. */
export async function capturedChanges(plan: CapturePlan, held: HeldResponse, deps: CaptureDeps): Promise<RecordedChange[]> {
  const { path } = plan;
  const headerEtag = strongEtag(held.header('etag'));
  const root = deps.tracked.rootOf(path);
  const inKnownCollection = async (p: string): Promise<boolean> => {
    const r = deps.tracked.rootOf(p);
    return r !== undefined && r !== p && (await deps.known(r));
  };
  switch (plan.method) {
    case 'PUT': {
      if (!(await inKnownCollection(path))) return [];
      return [{ path, etag: headerEtag ?? (await deps.etagOf(path)) ?? '' }];
    }
    case 'PROPPATCH': {
      // A tracked collection's own properties are not part of its sync
      // state (RFC 6578 reports members); only members are recorded.
      if (!(await inKnownCollection(path))) return [];
      const known = live(await deps.journal.get(path));
      return [{ path, collection: known?.collection ?? false, etag: headerEtag ?? (await deps.etagOf(path)) ?? known?.etag ?? '' }];
    }
    case 'MKCOL':
    case 'MKCALENDAR': {
      if (root === undefined || (root !== path && !(await deps.known(root)))) return [];
      const out: RecordedChange[] = [];
      // The journal thought something was here: the host says it was not.
      // Removing it first gives the new collection a new incarnation.
      const before = live(await deps.journal.get(path));
      if (before !== undefined) out.push({ path, removed: true, collection: before.collection });
      out.push({ path, collection: true, etag: headerEtag ?? '' });
      return out;
    }
    case 'DELETE':
      return removal(deps.journal, path);
    case 'MOVE':
    case 'COPY':
      return transfer(plan, headerEtag, deps);
    default:
      return [];
  }
}

async function transfer(plan: CapturePlan, headerEtag: string | undefined, deps: CaptureDeps): Promise<RecordedChange[]> {
  const source = plan.path;
  const destination = plan.destination as string;
  const journal = deps.journal;
  const src = live(await journal.get(source));
  const srcBelow = await liveBelow(journal, source);
  const out: RecordedChange[] = [];
  if (plan.method === 'MOVE') out.push(...(await removal(journal, source)));
  out.push(...(await removal(journal, destination)));

  // What is at the destination now.
  let arrived: RecordedChange[] = [];
  const sourceIsCollection = src?.collection ?? srcBelow.length > 0;
  if (src !== undefined && !src.collection) {
    arrived = [{ path: destination, etag: headerEtag ?? (await deps.etagOf(destination)) ?? src.etag }];
  } else if (deps.list !== undefined) {
    const members = await deps.list(destination);
    if (members !== undefined) {
      arrived.push({ path: destination, collection: true, etag: '' });
      if (!plan.shallow) {
        for await (const m of members) {
          const e = memberEntry(m);
          if (e.path !== destination && isWithin(e.path, destination)) arrived.push({ path: e.path, collection: e.collection, etag: e.etag });
        }
      }
    } else if (!sourceIsCollection) {
      arrived = [{ path: destination, etag: headerEtag ?? (await deps.etagOf(destination)) ?? '' }];
    }
  } else if (sourceIsCollection) {
    arrived.push({ path: destination, collection: true, etag: src?.etag ?? '' });
    if (!plan.shallow) {
      for (const e of srcBelow) arrived.push({ path: rebase(e.path, source, destination), collection: e.collection, etag: e.etag });
    }
  } else {
    arrived = [{ path: destination, etag: headerEtag ?? (await deps.etagOf(destination)) ?? '' }];
  }

  // Keep what lands in a tracked collection that is known, or that arrives
  // whole with this transfer (its root is the destination or below it).
  for (const change of arrived.sort((a, b) => depth(a.path) - depth(b.path))) {
    const root = deps.tracked.rootOf(change.path);
    if (root === undefined) continue;
    if (isWithin(root, destination) || (await deps.known(root))) out.push(change);
  }
  return out;
}

/** A change the host made itself, for `DavsyncWrap.record`. */
export interface WrapChange {
  /** Member path (decoded, relative to the mount point). */
  readonly path: string;
  /** The member's new ETag (quoted or not); ignored for removals. */
  readonly etag?: string;
  /** The member was removed (a collection: with everything below it). */
  readonly removed?: boolean;
  /** The member is (was) a collection. Default: true for a tracked collection's path, else what the journal knows, else false. */
  readonly collection?: boolean;
}

/**
 * The changes to record for changes the host reports itself (`record()`),
 * validated (TypeError for a malformed one): removals of what the journal
 * has, and changes inside tracked collections the journal knows (adopting
 * them through `list` first when it can).
 */
export async function explicitChanges(list: readonly WrapChange[], deps: CaptureDeps): Promise<RecordedChange[]> {
  const changes: RecordedChange[] = [];
  for (const c of list) {
    if (typeof c !== 'object' || c === null || typeof c.path !== 'string') throw new TypeError('davsync: record() takes { path, etag?, removed?, collection? }');
    if (c.etag !== undefined && typeof c.etag !== 'string') throw new TypeError(`davsync: record(): the ETag of ${c.path} must be a string`);
    let path: string;
    try {
      path = normalizePath(c.path);
    } catch {
      throw new TypeError(`davsync: record(): not a member path: ${JSON.stringify(c.path)}`);
    }
    const known = live(await deps.journal.get(path));
    if (c.removed === true) {
      // Nothing to remove unless the journal has something there.
      if (known !== undefined) changes.push({ path, removed: true, collection: c.collection ?? known.collection });
      else if (await knownBelow(deps.journal, path)) changes.push({ path, removed: true, collection: true });
      continue;
    }
    const root = deps.tracked.rootOf(path);
    if (root === undefined) continue;
    if (root !== path && !(await deps.known(root))) continue;
    const collection = c.collection ?? (deps.tracked.isTracked(path) || known?.collection === true);
    changes.push({ path, collection, etag: strongEtag(c.etag) ?? '' });
  }
  return changes;
}

/** Removal of `path` (with all below it) when the journal has anything live there. */
async function removal(journal: JournalStore, path: string): Promise<RecordedChange[]> {
  const entry = live(await journal.get(path));
  if (entry !== undefined) return [{ path, removed: true, collection: entry.collection }];
  return (await knownBelow(journal, path)) ? [{ path, removed: true, collection: true }] : [];
}

const live = <T extends { removed: boolean }>(e: T | undefined): T | undefined => (e !== undefined && !e.removed ? e : undefined);

const depth = (path: string): number => {
  let n = 0;
  for (let p = parentOf(path); p !== undefined; p = parentOf(p)) n++;
  return n;
};

/** True when the journal has a live entry below `path`. */
async function knownBelow(journal: JournalStore, path: string): Promise<boolean> {
  for await (const batch of journal.scan(path, 'infinite', 0, END)) if (batch.some((e) => !e.removed)) return true;
  return false;
}

/** Every live entry below `path`. */
async function liveBelow(journal: JournalStore, path: string): Promise<Array<{ path: string; collection: boolean; etag: string }>> {
  const out: Array<{ path: string; collection: boolean; etag: string }> = [];
  for await (const batch of journal.scan(path, 'infinite', 0, END)) for (const e of batch) if (!e.removed) out.push(e);
  return out;
}
