/**
 * Wrap mode: RFC 6578 collection synchronization added to an existing
 * WebDAV/CalDAV/CardDAV handler (the host), as a `(req, res, next)`
 * middleware in front of it. davsync answers only what sync needs and
 * passes everything else to the host:
 *
 * - `REPORT sync-collection` on a tracked collection: answered by the same
 *   handler as in full-server mode (`methods/report.ts`), with member
 *   properties from the host's `properties` callback;
 * - PROPFIND asking for `DAV:sync-token` or `DAV:supported-report-set`: the
 *   host answers and davsync merges its two properties into the host's 207
 *   (`propfind-merge.ts`);
 * - `If` headers naming sync tokens: decided here, 412 before the host sees
 *   the request (`if-tokens.ts`, `gate.ts`);
 * - writes the host answers with 2xx: recorded before the client gets the
 *   answer (`capture.ts`, `held-response.ts`).
 *
 * The sync state is a `SyncLog` alone: the host is the store, and davsync
 * only records what it did. Requests read the members the log has recorded
 * (and an adoption the host's listing; `host-snapshot.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { normalizePath, preconditionFailed, SyncLog, type JournalStore, type RecordedChange } from '@davsync/core';
import { SyncContext, type MemberReader, type SyncContextOptions } from '../context';
import type { DavResponse } from '../dav-request';
import { errorResponse } from '../error-response';
import { DAV, parseDepth, parseIf, parsePropfind, parseXmlIfPresent, type IfHeader, type PropRequest } from '@davsync/protocol';
import { pathFromReference } from '../hrefs';
import { handleReport, type MemberPropertySource } from '../sync/report';
import type { NextFunction } from '../middleware';
import { sendDavResponse, toDavRequest } from '../node-http';
import { Adopter, strongEtag, type AdoptOptions, type AdoptResult } from './adopt';
import { peekBody } from './body-peek';
import { CAPTURED_METHODS, capturedChanges, explicitChanges, planCapture, type CaptureDeps, type CapturePlan, type WrapChange } from './capture';
import { CollectionGate, type GateClaim } from './gate';
import { holdResponse, type HeldResponse, type HoldDecision } from './held-response';
import { recordedMembers } from './host-snapshot';
import { decideSyncTokens, formatIf, mentionsSyncToken, syncTokenResources } from './if-tokens';
import { resolveWrapOptions, type HostListing, type HostMembers, type ResolvedWrapOptions, type WrapOptions } from './options';
import { mergeSyncProperties, type WantedProperties } from './propfind-merge';
import { hostPropertySource } from '../properties/host-properties';
import { TrackedCollections } from './tracked';

export type { WrapChange } from './capture';

/** The wrap middleware, with the API for changes made outside HTTP. */
export interface DavsyncWrap {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /**
   * The sync state: tokens, deltas, the journal, access changes
   * (`grantAccess`, `revokeAccess`), change events (`onChange`).
   */
  readonly log: SyncLog;
  /** @deprecated The sync log, under its former name: use {@link DavsyncWrap.log}. */
  readonly engine: SyncLog;
  /**
   * Records changes the host made outside HTTP (an import, a database
   * trigger), in order. Changes outside tracked collections, and inside a
   * tracked collection davsync has not adopted yet, are skipped (adopting it
   * later picks them up). Resolves with the number recorded, once they are
   * in the journal.
   */
  record(changes: WrapChange | readonly WrapChange[]): Promise<number>;
  /**
   * Makes the host's existing collections syncable, or brings the journal
   * back in line with the host: compares the listing (every member the host
   * has, with its ETag) with the journal and records the differences.
   */
  adopt(listing: HostListing, options?: AdoptOptions): Promise<AdoptResult>;
  /** True when `path` (a member path) is a tracked collection. */
  isTracked(path: string): boolean;
  /** Closes the journal. */
  close(): Promise<void>;
}

/**
 * Adds RFC 6578 sync to an existing WebDAV/CalDAV/CardDAV handler. Mount it
 * in front of the host; it calls `next()` for everything it leaves to the
 * host.
 *
 * @example
 * const sync = davsyncWrap({
 *   tracked: '/addressbooks/*\/*',
 *   properties: async (members, names) => host.properties(members.map((m) => m.path), names),
 *   list: (path) => host.listBelow(path),
 * });
 * await sync.adopt(host.everything());
 * app.use(sync);
 * app.use(host.router);
 * importJob.on('contact', (path, etag) => sync.record({ path, etag }));
 */
export function davsyncWrap(options: WrapOptions): DavsyncWrap {
  const wrap = new Wrap(resolveWrapOptions(options));
  const middleware = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    wrap.handle(req, res, next).catch((err: unknown) => {
      // Before the headers are out: a bare 500 (errorResponse reports it).
      // After (a streamed sync report failed): cut the connection.
      if (!res.headersSent) void sendDavResponse(req, res, errorResponse(err, wrap.onError)).catch(() => res.destroy());
      else {
        wrap.onError(err);
        res.destroy();
      }
    });
  };
  return Object.assign(middleware, {
    log: wrap.log,
    engine: wrap.log,
    record: (changes: WrapChange | readonly WrapChange[]) => wrap.record(changes),
    adopt: (listing: HostListing, adoptOptions?: AdoptOptions) => wrap.adopter.adopt(listing, adoptOptions),
    isTracked: (path: string) => wrap.tracked.isTracked(normalizePath(path)),
    close: () => wrap.log.close(),
  });
}

class Wrap {
  readonly log: SyncLog;
  readonly adopter: Adopter;
  readonly tracked: TrackedCollections;
  readonly onError: (err: unknown) => void;
  private readonly journal: JournalStore;
  private readonly members: MemberReader;
  private readonly contextOptions: SyncContextOptions;
  private readonly gate = new CollectionGate();
  private readonly deps: CaptureDeps;
  private readonly source: MemberPropertySource;

  constructor(private readonly o: ResolvedWrapOptions) {
    this.tracked = new TrackedCollections(o.tracked);
    this.onError = o.onError ?? ((err: unknown) => console.error('davsync: unexpected error', err));
    this.log = new SyncLog({
      ...(o.journal === undefined ? {} : { journal: o.journal }),
      ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
      ...(o.retention === undefined ? {} : { retention: o.retention }),
      onError: this.onError,
    });
    this.journal = this.log.journal;
    this.members = recordedMembers(this.journal);
    this.adopter = new Adopter(this.log, this.tracked);
    this.contextOptions = { strictSyncDepth: o.strictSyncDepth, limits: o.limits, authorize: o.authorize };
    const list = o.list;
    this.deps = {
      journal: this.journal,
      tracked: this.tracked,
      known: (root) => this.known(root),
      etagOf: async (path) => (o.etagOf === undefined ? undefined : strongEtag(await o.etagOf(path))),
      list:
        list === undefined
          ? undefined
          : async (path): Promise<HostMembers | undefined> => {
              const listing = await list(path);
              if (listing === undefined || listing === null) return undefined;
              return typeof listing === 'function' ? await listing() : listing;
            },
    };
    this.source = hostPropertySource(o.properties, o.propertiesBatchSize, this.log);
  }

  async handle(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): Promise<void> {
    const pass = (): void => {
      if (next !== undefined) next();
      else {
        res.statusCode = 404;
        res.setHeader('content-length', '0');
        res.end();
      }
    };
    let ctx: SyncContext;
    try {
      const user = this.o.user?.(req);
      ctx = this.context({ ...toDavRequest(req), ...(user === undefined ? {} : { user: String(user) }) });
    } catch {
      return pass(); // a target davsync cannot decode is the host's to judge
    }
    const method = ctx.req.method;
    const send = (response: DavResponse): Promise<void> => sendDavResponse(req, res, response);

    const plan = CAPTURED_METHODS.has(method) ? await planCapture(ctx, this.deps) : undefined;
    let ifHeader: IfHeader | undefined;
    const ifValue = ctx.header('if');
    if (ifValue !== undefined && mentionsSyncToken(ifValue)) {
      try {
        const l = this.o.limits;
        ifHeader = parseIf(ifValue, { maxLength: l.ifLength, maxLists: l.ifLists, maxConditions: l.ifConditions });
      } catch (err) {
        return send(errorResponse(err, this.onError));
      }
      if (syncTokenResources(ifHeader).length === 0) ifHeader = undefined;
    }

    const claims: GateClaim[] = plan === undefined ? [] : plan.paths.map((path) => ({ path, mode: 'shared' }));
    if (ifHeader !== undefined && CAPTURED_METHODS.has(method)) {
      for (const resource of syncTokenResources(ifHeader)) {
        const path = resource === '' ? ctx.path : safely(() => ctx.resolve(resource));
        if (path !== undefined) claims.push({ path, mode: 'exclusive' });
      }
    }
    const release = await this.gate.enter(claims, this.o.preconditionWaitMs);
    if (release === undefined) {
      return send({ status: 503, headers: { 'retry-after': '1', 'content-length': '0', 'x-davsync-reason': 'davsync: writes to this collection are still being recorded' } });
    }
    let heldUntilRecorded = false;
    try {
      if (ifHeader !== undefined) {
        const verdict = await decideSyncTokens(ifHeader, async (resource, token) => {
          const path = resource === '' ? ctx.path : safely(() => ctx.resolve(resource));
          return path !== undefined && (await this.log.isCurrentToken(path, token));
        });
        // RFC 6578 §5, RFC 4918 §10.4: a false If header is 412.
        if (!verdict.pass) return await send(errorResponse(preconditionFailed('a sync token in the If header is not current', ctx.path), this.onError));
        setIfHeader(req, formatIf(verdict.remaining));
      }
      if (method === 'REPORT') {
        if (!(await this.answerReport(req, res, ctx))) pass();
        return;
      }
      if (method === 'PROPFIND') {
        await this.mergeIntoPropfind(req, res, ctx);
        pass();
        return;
      }
      if (plan !== undefined) {
        heldUntilRecorded = true;
        holdResponse(res, (held) => this.recordCaptured(plan, held), (err) => errorResponse(err, this.onError), release);
      }
      pass();
    } finally {
      if (!heldUntilRecorded) release();
    }
  }

  // ---- REPORT sync-collection ----------------------------------------------

  /** Answers a sync-collection REPORT on a collection davsync syncs; false to leave the request to the host. */
  private async answerReport(req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<boolean> {
    if (!(await this.syncable(ctx.path))) return false;
    const body = await peekBody(req, this.o.limits.xmlBytes);
    if (body === undefined) return false;
    const root = await parseXmlIfPresent(body, ctx.xmlLimits()).catch(() => undefined);
    if (root?.name !== DAV.syncCollection) return false; // another report: the host's
    req.resume(); // the body was put back for the host; nobody else reads it now
    const request = { ...ctx.req, body: Readable.from([body]) };
    let response: DavResponse;
    try {
      const reportCtx = this.context(request);
      await reportCtx.require('sync', reportCtx.path);
      response = await handleReport(reportCtx, this.source);
    } catch (err) {
      response = errorResponse(err, this.onError);
    }
    await sendDavResponse(req, res, response);
    return true;
  }

  /** A request's context: the members the log has recorded, and the log. */
  private context(req: SyncContext['req']): SyncContext {
    return new SyncContext(req, this.log, this.members, this.contextOptions);
  }

  // ---- PROPFIND ------------------------------------------------------------

  /** When the PROPFIND asks for sync properties, holds the host's answer to merge them in. */
  private async mergeIntoPropfind(req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<void> {
    const depth = safely(() => parseDepth(ctx.header('depth')));
    if (depth === 0 && this.tracked.rootOf(ctx.path) === undefined) return; // only the host's own resources in the answer
    const body = await peekBody(req, this.o.limits.xmlBytes);
    if (body === undefined) return;
    let request: PropRequest;
    try {
      request = parsePropfind(await parseXmlIfPresent(body, ctx.xmlLimits()));
    } catch {
      return; // the host's to refuse
    }
    const asked = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
    const wanted: WantedProperties = { syncToken: asked.includes(DAV.syncToken), supportedReportSet: asked.includes(DAV.supportedReportSet) };
    if (!wanted.syncToken && !wanted.supportedReportSet) return;
    holdResponse(
      res,
      async (held) => {
        try {
          return await this.merged(held, wanted, ctx);
        } catch (err) {
          this.onError(err);
          return { action: 'release' };
        }
      },
      (err) => errorResponse(err, this.onError),
      () => undefined,
    );
  }

  private async merged(held: HeldResponse, wanted: WantedProperties, ctx: SyncContext): Promise<HoldDecision> {
    const encoding = held.header('content-encoding');
    if (held.status !== 207 || (encoding !== undefined && encoding !== 'identity')) return { action: 'release' };
    const body = held.body();
    if (body.length > this.o.mergeBytes) return { action: 'release' };
    const merged = await mergeSyncProperties(
      body,
      wanted,
      async (href) => {
        const target = safely(() => pathFromReference(href, ctx.req.base, ctx.req.origin));
        if (target === undefined || !(await this.syncable(target.path))) return undefined;
        // A user who may not sync the collection gets the host's answer for it
        // as it is, as for an untracked one: no token they could not use.
        if (!(await ctx.may('sync', target.path))) return undefined;
        return this.log.currentToken(target.path);
      },
      { maxBytes: this.o.mergeBytes, maxTextLength: this.o.mergeBytes, maxElements: Number.MAX_SAFE_INTEGER, maxDepth: 64 },
    );
    if (merged === undefined) return { action: 'release' };
    const type = (held.header('content-type') ?? 'application/xml').split(';')[0]?.trim() || 'application/xml';
    return { action: 'rewrite', body: merged, headers: { 'content-type': `${type}; charset=utf-8` } };
  }

  // ---- capture -------------------------------------------------------------

  private async recordCaptured(plan: CapturePlan, held: HeldResponse): Promise<HoldDecision> {
    if (held.status < 200 || held.status > 299) return { action: 'release' }; // the host refused: nothing changed
    try {
      const changes = await capturedChanges(plan, held, this.deps);
      if (changes.length > 0) await this.commit(changes);
      return { action: 'release' };
    } catch (err) {
      this.onError(err);
      if (this.o.recordFailure === 'log') return { action: 'release' };
      return {
        action: 'replace',
        response: {
          status: 500,
          headers: { 'content-length': '0', 'x-davsync-reason': 'davsync: the host made the change but it could not be recorded for sync' },
        },
      };
    }
  }

  /** Records changes (captured or explicit), telling a running adoption first. */
  private async commit(changes: readonly RecordedChange[]): Promise<void> {
    this.adopter.markRecorded(changes.map((c) => c.path));
    await this.log.record(changes);
  }

  async record(input: WrapChange | readonly WrapChange[]): Promise<number> {
    const changes = await explicitChanges(Array.isArray(input) ? input : [input as WrapChange], this.deps);
    if (changes.length > 0) await this.commit(changes);
    return changes.length;
  }

  // ---- which collections are syncable --------------------------------------

  /** True when the tracked collection `root` is in the journal, adopting it through `list` first if it can. */
  private async known(root: string): Promise<boolean> {
    if ((await this.journal.collection(root)) !== undefined) return true;
    const list = this.o.list;
    if (list === undefined) return false;
    return this.adopter.adoptCollection(root, async () => (await list(root)) ?? undefined);
  }

  /** True when davsync answers sync for `path`: a collection the journal knows, in a tracked (and known) collection. */
  private async syncable(path: string): Promise<boolean> {
    const root = this.tracked.rootOf(path);
    if (root === undefined || !(await this.known(root))) return false;
    return (await this.journal.collection(path)) !== undefined;
  }
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Hands the host the If header with davsync's part decided (in `headers` and `rawHeaders`). */
function setIfHeader(req: IncomingMessage, value: string): void {
  req.headers['if'] = value;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'if') raw[i + 1] = value;
  }
}
