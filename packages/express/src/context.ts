/**
 * Per-request context shared by the method handlers, and the precondition
 * check every method runs before it changes anything: the If header (RFC
 * 4918 §10.4, with sync tokens as state tokens per RFC 6578 §5), If-Match
 * and If-None-Match (RFC 9110 §13.1).
 */
import { DavError, preconditionFailed, type Entry, type ReadOptions, type StorageAdapter, type SyncEngine, type SyncLog } from '@davsync/core';
import { accessDenied, type AccessAction } from './access';
import type { DavRequest } from './dav-request';
import { evaluateIf, ifMatchPasses, ifNoneMatchPasses, parseDepth, parseIf, type Depth, type XmlLimits } from '@davsync/protocol';
import { decodeTarget, hrefOf, pathFromReference, type RequestTarget } from './hrefs';
import type { ResolvedOptions } from './options';
import { quoteEtag } from './properties';

/**
 * What a request reads of the members: the store in full-server mode; in
 * wrap mode, what the sync log has recorded of the host's (no dead
 * properties there).
 */
export type MemberReader = Pick<StorageAdapter, 'stat' | 'list' | 'properties'>;

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

  /**
   * Runs the If, If-Match and If-None-Match checks against the request
   * resource's current `entry` (undefined: it does not exist). A false If
   * header or If-Match is 412; a false If-None-Match is 412 (the GET/HEAD
   * caller turns that into 304 itself). A malformed header is 400.
   */
  async checkPreconditions(entry: Entry | undefined, options: { ifNoneMatch?: boolean } = {}): Promise<void> {
    const current = entry === undefined ? undefined : quoteEtag(entry.etag);
    const ifHeader = this.header('if');
    if (ifHeader !== undefined) {
      const l = this.options.limits;
      const ast = parseIf(ifHeader, { maxLength: l.ifLength, maxLists: l.ifLists, maxConditions: l.ifConditions });
      const pass = await evaluateIf(ast, '', {
        etag: async (resource) => {
          if (resource === '') return current;
          const p = this.resolve(resource);
          // A member the user may not read is, to them, a member that does not exist.
          if (p === undefined || !(await this.may('read', p))) return undefined;
          const e = await this.members.stat(p);
          return e === undefined ? undefined : quoteEtag(e.etag);
        },
        isCurrentToken: async (resource, token) => {
          const p = resource === '' ? this.path : this.resolve(resource);
          if (p === undefined || (p !== this.path && !(await this.may('sync', p)))) return false;
          return await this.sync.isCurrentToken(p, token);
        },
      });
      if (!pass) throw preconditionFailed('the If header is false', this.path);
    }
    if (!ifMatchPasses(this.header('if-match'), current)) throw preconditionFailed('If-Match', this.path);
    if (options.ifNoneMatch !== false && !ifNoneMatchPasses(this.header('if-none-match'), current)) {
      throw preconditionFailed('If-None-Match', this.path);
    }
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
  ) {
    super(req, engine, engine.adapter, options);
  }
}
