/**
 * What changed on the server since the last pass: RFC 6578 sync-collection
 * where the server has it, a PROPFIND walk where it does not.
 *
 * A feed is a sequence of pages of changes ending in one `end` item that
 * carries the cursor to store for next time. Nothing here touches local
 * state: the caller applies each page, and stores the cursor only once the
 * `end` item arrives — so an interrupted feed is simply asked again.
 *
 * Sync scopes. A cursor holds one token per synced collection ("scope"):
 * normally just the root at `sync-level: infinite`. A server that refuses
 * infinite gets the root at level 1 and every collection below as a scope
 * of its own (RFC 6578 §3.3), as does a collection an infinite answer says
 * it cannot descend into (a 403 member).
 */
import { DAV, isCollectionEntry, readDavError, readMultistatusEach, readSyncAnswerEach, syncCollectionBody, propfindBody, type MultistatusEntry, type SyncAnswerEntry } from '@davsync/protocol';
import { ENTRY_PROPS, entryOf, type RemoteChange } from './remote-entry';
import { RemoteError } from './remote-error';
import { unexpected, type RemoteHttp } from './remote-http';
import { unreadableReason, type RemotePaths } from './remote-paths';

export interface SyncScope {
  readonly level: '1' | 'infinite';
  readonly token: string;
}

/** What to remember between passes. */
export type FeedCursor =
  | { readonly mode: 'sync'; readonly scopes: Readonly<Record<string, SyncScope>> }
  /** The server has no sync-collection: every pass is a full walk. */
  | { readonly mode: 'propfind' };

/** A collection whose members were all listed: anything under it not listed is gone. */
export interface FullListing {
  readonly path: string;
  /** The whole subtree (infinite, or a walk); else direct members only. */
  readonly recursive: boolean;
}

export type FeedItem =
  | { readonly kind: 'changes'; readonly changes: readonly RemoteChange[] }
  | {
      readonly kind: 'end';
      readonly cursor: FeedCursor;
      readonly full: readonly FullListing[];
      /** A stored token was refused (403 valid-sync-token): its scope was listed in full instead. */
      readonly tokenRefused: boolean;
      /** Members inside the collection whose names cannot be local paths: reported, not synced. */
      readonly unreadable: readonly Unreadable[];
    };

export interface Unreadable {
  /** As the server sent it. */
  readonly href: string;
  readonly reason: string;
}

export interface FeedLimits {
  /** Ask for at most this many results per REPORT (RFC 6578 §3.7); the server pages with 507. */
  readonly pageSize?: number;
  /** Most REPORT pages for one scope before giving up (a server that never finishes). Default 100 000. */
  readonly maxPages?: number;
  /** Most collections visited (scopes, or a walk's PROPFINDs). Default 100 000. */
  readonly maxCollections?: number;
}

/** Why a scope's REPORT was refused, decided from the answer (see `refusal`). */
class Refused {
  constructor(readonly why: 'token' | 'level' | 'unsupported') {}
}

const VALID_SYNC_TOKEN = '{DAV:}valid-sync-token';
/** Statuses a server without sync-collection (or without infinite) answers a REPORT with. */
const NOT_SUPPORTED = new Set([400, 403, 405, 409, 415, 422, 501]);

export class ChangeFeed {
  constructor(
    private readonly http: RemoteHttp,
    private readonly paths: RemotePaths,
    private readonly limits: FeedLimits = {},
  ) {}

  async *changes(cursor?: FeedCursor): AsyncGenerator<FeedItem> {
    const unreadable: Unreadable[] = [];
    if (cursor?.mode === 'propfind') return yield* this.walk(false, unreadable);
    const known = cursor?.scopes ?? {};
    const queue: { path: string; level: '1' | 'infinite'; token?: string }[] =
      Object.keys(known).length === 0 ? [{ path: '', level: 'infinite' }] : Object.entries(known).sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, s]) => ({ path, ...s }));
    const scopes: Record<string, SyncScope> = {};
    const full: FullListing[] = [];
    const removed: string[] = [];
    let tokenRefused = false;
    const maxCollections = this.limits.maxCollections ?? 100_000;
    for (let visited = 0; queue.length > 0; visited++) {
      if (visited >= maxCollections) throw new RemoteError('protocol', `more than ${maxCollections} collections to sync; stopping`);
      const scope = queue.shift()!;
      if (removed.some((r) => within(scope.path, r))) continue;
      let result: ScopeResult;
      try {
        result = yield* this.syncScope(scope.path, scope.level, scope.token, unreadable);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        if (err.why === 'token' && scope.token !== undefined) {
          tokenRefused = true;
          queue.unshift({ path: scope.path, level: scope.level });
        } else if (err.why === 'level' && scope.level === 'infinite') {
          queue.unshift({ path: scope.path, level: '1', ...(scope.token === undefined ? {} : { token: scope.token }) });
        } else {
          // No sync-collection here: list everything by PROPFIND instead (what was already yielded stays true).
          return yield* this.walk(tokenRefused, unreadable);
        }
        continue;
      }
      scopes[scope.path] = { level: scope.level, token: result.token };
      if (scope.token === undefined) full.push({ path: scope.path, recursive: scope.level === 'infinite' });
      removed.push(...result.removed);
      for (const child of result.collections) {
        if (child in known || child in scopes || queue.some((q) => q.path === child)) continue;
        queue.push({ path: child, level: scope.level === 'infinite' ? 'infinite' : '1' });
      }
    }
    for (const path of Object.keys(scopes)) if (removed.some((r) => within(path, r))) delete scopes[path];
    yield { kind: 'end', cursor: { mode: 'sync', scopes }, full, tokenRefused, unreadable };
  }

  /** Records an href inside the collection that has no local path (bounded: a report, not a copy of the listing). */
  private noteUnreadable(href: string, into: Unreadable[]): void {
    const reason = unreadableReason(this.paths, href);
    if (reason !== undefined && into.length < 1000 && !into.some((u) => u.href === href)) into.push({ href, reason });
  }

  /**
   * One scope, page by page: a truncated answer (507, RFC 6578 §3.6) is
   * asked again with the token it gave, until one is complete.
   */
  private async *syncScope(path: string, level: '1' | 'infinite', token: string | undefined, unreadable: Unreadable[]): AsyncGenerator<FeedItem, ScopeResult> {
    const url = this.paths.urlOf(path, true);
    const collections: string[] = [];
    const removed: string[] = [];
    const maxPages = this.limits.maxPages ?? 100_000;
    let current = token;
    // Set while the page being asked is a check after a long answer without 507 (see `mayBeCut`).
    let checking = false;
    for (let page = 0; page < maxPages; page++) {
      const body = syncCollectionBody({ level, props: ENTRY_PROPS, ...(current === undefined ? {} : { token: current }), ...(this.limits.pageSize === undefined ? {} : { limit: this.limits.pageSize }) });
      const spec = { method: 'REPORT', url, headers: { 'content-type': 'application/xml; charset=utf-8', depth: '0' }, body };
      const res = await this.http.send(spec);
      if (res.status !== 207 && checking) {
        // The check was refused (a server that hands out tokens it does not take back, as with "0"):
        // the answer before it said it was complete, so it is taken as such.
        await res.body?.cancel().catch(() => undefined);
        return { token: current!, collections, removed };
      }
      if (res.status !== 207) throw await refusal(spec, res, level, current);
      // Each member becomes its change as it is read, its XML dropped (the answer to a first sync lists
      // every member); the changes are yielded only once the answer is whole, as before.
      const changes: RemoteChange[] = [];
      let responses = 0;
      const onEntry = (r: SyncAnswerEntry): void => {
        responses++;
        const where = this.paths.pathOf(r.href);
        if (where === undefined) {
          this.noteUnreadable(r.href, unreadable);
          return;
        }
        // The collection itself: some servers list it as its own member.
        if (where.path === path) return;
        if (r.type === 'changed') {
          const entry = entryOf(where.path, r, where.slash);
          changes.push({ type: 'changed', entry });
          if (entry.kind === 'dir' && level === '1') collections.push(where.path);
        } else if (r.type === 'removed') {
          changes.push({ type: 'removed', path: where.path });
          removed.push(where.path);
        } else {
          // 403 member: the server will not descend there in this answer; sync it on its own.
          collections.push(where.path);
        }
      };
      let answer;
      try {
        answer = await readSyncAnswerEach(res.body ?? '', onEntry);
      } catch (err) {
        // A 207 without a sync-token: a server that answered the REPORT as something else.
        if (/no DAV:sync-token$/.test((err as Error).message)) throw new Refused('unsupported');
        throw new RemoteError('protocol', `REPORT ${url}: ${(err as Error).message.replace(/^davsync: /, '')}`);
      }
      if (changes.length > 0) yield { kind: 'changes', changes };
      checking = !answer.truncated && mayBeCut(responses, this.limits.pageSize) && answer.token !== current;
      if (!answer.truncated && !checking) return { token: answer.token, collections, removed };
      if (answer.truncated && responses === 0 && answer.token === current) throw new RemoteError('protocol', `REPORT ${url}: truncated answers that make no progress`);
      current = answer.token;
    }
    throw new RemoteError('protocol', `REPORT ${url}: still truncated after ${maxPages} pages`);
  }

  /**
   * Every collection listed with PROPFIND Depth 1, breadth first (mod_dav
   * refuses Depth infinity by default, and one huge answer is what servers
   * truncate). Bounded by `maxCollections`.
   */
  private async *walk(tokenRefused: boolean, unreadable: Unreadable[]): AsyncGenerator<FeedItem> {
    const queue = [''];
    const maxCollections = this.limits.maxCollections ?? 100_000;
    const body = propfindBody({ kind: 'prop', names: [...ENTRY_PROPS] });
    for (let visited = 0; queue.length > 0; visited++) {
      if (visited >= maxCollections) throw new RemoteError('protocol', `more than ${maxCollections} collections to list; stopping`);
      const dir = queue.shift()!;
      const spec = { method: 'PROPFIND', url: this.paths.urlOf(dir, true), headers: { 'content-type': 'application/xml; charset=utf-8', depth: '1' }, body };
      const res = await this.http.send(spec);
      // A collection removed between its parent's listing and its own: its parent's next walk will not list it.
      if (res.status === 404 && dir !== '') {
        await res.body?.cancel();
        continue;
      }
      if (res.status !== 207) throw await unexpected(spec, res);
      // Member by member, as the answer is read (a flat folder of many files is one long answer).
      const changes: RemoteChange[] = [];
      const found: string[] = [];
      const onResponse = (r: MultistatusEntry): void => {
        if (r.kind !== 'propstat') return;
        const where = this.paths.pathOf(r.hrefs[0] as string);
        if (where === undefined) this.noteUnreadable(r.hrefs[0] as string, unreadable);
        if (where === undefined || where.path === dir || !within(where.path, dir)) return;
        const entry = entryOf(where.path, r, where.slash || isCollectionEntry(r));
        changes.push({ type: 'changed', entry });
        if (entry.kind === 'dir') found.push(where.path);
      };
      try {
        await readMultistatusEach(res.body ?? '', onResponse, {}, 'PROPFIND answer');
      } catch (err) {
        throw new RemoteError('protocol', `PROPFIND ${spec.url}: ${(err as Error).message.replace(/^davsync: /, '')}`);
      }
      queue.push(...found);
      if (changes.length > 0) yield { kind: 'changes', changes };
    }
    yield { kind: 'end', cursor: { mode: 'propfind' }, full: [{ path: '', recursive: true }], tokenRefused, unreadable };
  }
}

/**
 * Answers this long are checked with one more REPORT from the token they
 * gave, even without a 507: some servers cut a long answer at a few hundred
 * members and still say nothing of it (RFC 6578 §3.6 asks for the 507).
 * Asking again from a fresh token is always correct — a complete answer is
 * followed by an empty one — and costs one round trip only after a pass
 * that brought this many changes.
 */
export const CHECK_ANSWERS_OF = 100;

function mayBeCut(responses: number, pageSize: number | undefined): boolean {
  return responses >= CHECK_ANSWERS_OF || (pageSize !== undefined && responses >= pageSize);
}

interface ScopeResult {
  readonly token: string;
  /** Collections found that need a scope of their own (level 1, or refused traversal). */
  readonly collections: readonly string[];
  readonly removed: readonly string[];
}

/** Whether `path` is `dir` or below it (`''` is the root, above everything). */
export function within(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * A REPORT that did not get a 207: a refused token (RFC 6578 §3.2
 * `valid-sync-token`; and any refusal of the token `"0"`, which some servers
 * hand out but do not take back), a refused level, or no sync-collection at
 * all. Other answers are errors.
 */
async function refusal(spec: { method: string; url: string }, res: Response, level: '1' | 'infinite', token: string | undefined): Promise<Refused | RemoteError> {
  if (!NOT_SUPPORTED.has(res.status)) return unexpected(spec, res);
  const conditions = await readDavError(res.body ?? '');
  if (conditions.includes(VALID_SYNC_TOKEN) || (token === '0' && res.status < 500)) return new Refused('token');
  if (conditions.includes(DAV.syncTraversalSupported) || level === 'infinite') return new Refused('level');
  return new Refused('unsupported');
}
