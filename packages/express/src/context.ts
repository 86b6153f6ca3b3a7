/**
 * Per-request context shared by the method handlers: the request's facts
 * (target, headers, user, limits), where its references lead, what the
 * user may do, and the readers of members and sync state. Decisions about
 * the request live elsewhere (`preconditions.ts`, `sync/`).
 */
import { DavError, type Entry, type LockStore, type ReadOptions, type StorageAdapter, type SyncEngine, type SyncLog } from '@davsync/core';
import { accessDenied, type AccessAction } from './access';
import type { DavRequest } from './dav-request';
import { parseDepth, type Depth, type XmlLimits } from '@davsync/protocol';
import { decodeTarget, hrefOf, pathFromReference, type RequestTarget } from './hrefs';
import type { ResolvedOptions } from './options';
import type { PushPropertySource } from './push/push-properties';
import type { ChunkListSource } from './properties/chunk-hash-properties';
import { chunkListCache, type ChunkList } from './properties/chunk-list-cache';

/**
 * What a request reads of the members: the store in full-server mode; in
 * wrap mode, what the sync log has recorded of the host's (no dead
 * properties there).
 */
export type MemberReader = Pick<StorageAdapter, 'stat' | 'list' | 'properties' | 'quota'>;

/**
 * The sync state a request reads: a `SyncLog` (wrap mode), or in
 * full-server mode the engine, whose methods delegate to its log (so an
 * engine's overrides are honoured).
 */
export type SyncReader = Pick<SyncLog, 'openChanges' | 'currentToken' | 'isCurrentToken'>;

/**
 * A request as sync sees it: its members and the sync state. Enough for
 * what both modes answer (a sync REPORT, preconditions, sync properties);
 * wrap mode has no more than this.
 */
/** The options a request needs in both modes. */
export type SyncContextOptions = Pick<ResolvedOptions, 'limits' | 'authorize' | 'strictSyncDepth'>;

export class SyncContext {
  readonly target: RequestTarget;

  constructor(
    readonly req: DavRequest,
    readonly sync: SyncReader,
    readonly members: MemberReader,
    readonly options: SyncContextOptions,
  ) {
    this.target = decodeTarget(req.url);
  }

  get path(): string {
    return this.target.path;
  }

  /** Where the store's locks are: full-server mode has them; wrap mode leaves locking to the host. */
  get lockStore(): LockStore | undefined {
    return undefined;
  }

  header(name: string): string | undefined {
    return this.req.headers[name];
  }

  /** True when an `authorize` hook is set: responses must be filtered member by member. */
  get restricted(): boolean {
    return this.options.authorize !== undefined;
  }

  /** Whether the request's user may do `action` on `path` (always, without an `authorize` hook). */
  async may(action: AccessAction, path: string): Promise<boolean> {
    const authorize = this.options.authorize;
    if (authorize === undefined) return true;
    return (await authorize({ user: this.req.user, method: this.req.method, path, action })) === true;
  }

  /** Throws 403 `need-privileges` unless the user may do `action` on `path`. */
  async require(action: AccessAction, path: string): Promise<void> {
    if (!(await this.may(action, path))) throw accessDenied(action, path);
  }

  /**
   * Throws 403 unless the user may do `action` on every member below the
   * collection `path` (the target itself is checked by the caller). Walks the
   * subtree, so only with an `authorize` hook.
   */
  async requireBelow(action: AccessAction, path: string): Promise<void> {
    if (!this.restricted) return;
    const pending = [path];
    while (pending.length > 0) {
      const dir = pending.pop() as string;
      for await (const member of this.members.list(dir, this.readOptions())) {
        await this.require(action, member.path);
        if (member.collection) pending.push(member.path);
      }
    }
  }

  /** The href of a member for responses. */
  href(path: string, collection: boolean): string {
    return hrefOf(this.req.base, path, collection);
  }

  xmlLimits(): XmlLimits {
    const l = this.options.limits;
    return { maxBytes: l.xmlBytes, maxDepth: l.xmlDepth, maxElements: l.xmlElements, maxTextLength: l.xmlText };
  }

  /** Resolves a URI from a header to a member path here, or `undefined` if it is elsewhere. */
  resolve(reference: string): string | undefined {
    return pathFromReference(reference, this.req.base, this.req.origin)?.path;
  }

  /** The options of the request's reads and listings: its abort signal, when it has one. */
  readOptions(): ReadOptions {
    return this.req.signal === undefined ? {} : { signal: this.req.signal };
  }

  /** The Depth header (RFC 4918 §10.2); `undefined` when absent, 400 when malformed. */
  depth(): Depth | undefined {
    return parseDepth(this.header('depth'));
  }

  /** The entry at the request path, or a `not-found` error. */
  async existing(): Promise<Entry> {
    const entry = await this.members.stat(this.path);
    if (entry === undefined) throw new DavError('not-found', `no member at ${this.path}`, this.path);
    return entry;
  }
}

/** A request in full-server mode: sync, plus the engine that changes the store. */
export class DavContext extends SyncContext {
  constructor(
    req: DavRequest,
    readonly engine: SyncEngine,
    override readonly options: ResolvedOptions,
    /** WebDAV-Push's properties, when push is on. */
    readonly push?: PushPropertySource,
  ) {
    super(req, engine, engine.adapter, options);
  }

  override get lockStore(): LockStore {
    return this.engine.locks;
  }

  /**
   * `ds:chunk-hashes`: chunked on demand for the request's own target only;
   * a listing's other members answer from the cache, so one PROPFIND cannot
   * make the server read a whole tree.
   */
  get chunkLists(): ChunkListSource {
    const cache = chunkListCache(this.engine.adapter);
    return {
      chunkList: (entry: Entry): Promise<ChunkList | undefined> =>
        entry.path === this.path ? cache.compute(entry) : Promise.resolve(cache.cached(entry)),
    };
  }
}
