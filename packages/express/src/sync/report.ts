/**
 * REPORT (RFC 3253 §3.6) — of which davsync supports one: RFC 6578
 * `DAV:sync-collection`. The request is validated completely (Depth, body,
 * token) before the 207 starts, so every refusal is a clean 4xx; then the
 * changes stream out, followed (when truncated) by a 507 response for the
 * request-URI and the new token (§3.6).
 */
import { badRequest, type Change, type DeltaCursor, type SyncLevel } from '@davsync/core';
import type { SyncContext } from '../context';
import type { DavResponse } from '../dav-request';
import { checkPreconditions } from '../preconditions';
import { answerableFromJournal, journalProperties, type JournalMember, type MemberPropstats } from '../properties/entry-properties';
import { propertiesOf } from '../properties/member-properties';
import { DAV, multistatusChunks, parseSyncCollection, parseXml, propstatsOf, type MultistatusResponse, type PropRequest } from '@davsync/protocol';
import { deltaAccessOf } from './access-view';

/** A changed member whose properties a {@link MemberPropertySource} is asked for. */
export type ChangedMember = JournalMember;

/**
 * Where a sync report gets the properties of changed members when the
 * journal alone cannot answer (anything beyond getetag and resourcetype).
 * Default: the store, one `stat` per member. Wrap mode passes the host's
 * properties instead (the store is the host, not an adapter). The report
 * hands over up to `batchSize` changed members at a time, in report order;
 * a member missing from the answer (gone meanwhile) is answered from the
 * journal, like a member the store no longer has.
 */
export interface MemberPropertySource {
  readonly batchSize: number;
  properties(members: readonly ChangedMember[], request: PropRequest): Promise<ReadonlyMap<string, MemberPropstats>>;
}

export async function handleReport(ctx: SyncContext, source?: MemberPropertySource): Promise<DavResponse> {
  const depth = ctx.depth();
  const request = parseSyncCollection(await parseXml(ctx.req.body, ctx.xmlLimits()));
  const level = syncLevel(ctx, request.level, depth);
  const entry = await ctx.existing();
  await checkPreconditions(ctx, entry);
  const access = deltaAccessOf(ctx);
  const cursor = await ctx.sync.openChanges(ctx.path, request.token, {
    level,
    ...(request.limit === undefined ? {} : { limit: request.limit }),
    ...(access === undefined ? {} : { access }),
  });
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: multistatusChunks(responses(ctx, cursor, request.props, source), () => ({ syncToken: cursor.token })),
  };
}

/**
 * §3.2: with `sync-level`, Depth must be 0 or absent (Depth 1 tolerated
 * unless `strictSyncDepth`, for python3-caldav). Without it, Appendix A:
 * the Depth header gives the level (absent or 0: level 1).
 */
function syncLevel(ctx: SyncContext, level: SyncLevel | undefined, depth: 0 | 1 | 'infinity' | undefined): SyncLevel {
  if (level !== undefined) {
    if (depth === undefined || depth === 0 || (depth === 1 && !ctx.options.strictSyncDepth)) return level;
    throw badRequest('davsync: sync-collection is only defined for Depth: 0');
  }
  return depth === 'infinity' ? 'infinite' : 1;
}

async function* responses(
  ctx: SyncContext,
  cursor: DeltaCursor,
  props: PropRequest,
  source: MemberPropertySource | undefined,
): AsyncGenerator<MultistatusResponse> {
  const fromJournal = answerableFromJournal(props);
  if (fromJournal || source === undefined) {
    for await (const change of cursor) yield await responseFor(ctx, change, props, fromJournal);
  } else {
    let batch: Change[] = [];
    for await (const change of cursor) {
      batch.push(change);
      if (batch.length >= source.batchSize) {
        yield* batchResponses(ctx, batch, props, source);
        batch = [];
      }
    }
    yield* batchResponses(ctx, batch, props, source);
  }
  if (cursor.truncated) {
    yield { href: ctx.href(ctx.path, true), status: 507, error: [DAV.numberOfMatchesWithinLimits] };
  }
}

/** One batch of changes with the properties of its changed members fetched in one call. */
async function* batchResponses(ctx: SyncContext, batch: readonly Change[], props: PropRequest, source: MemberPropertySource): AsyncGenerator<MultistatusResponse> {
  const members: ChangedMember[] = [];
  for (const c of batch) if (c.type === 'changed') members.push({ path: c.path, collection: c.collection, etag: c.etag });
  const answers = members.length === 0 ? new Map<string, MemberPropstats>() : await source.properties(members, props);
  for (const change of batch) {
    const answer = change.type === 'changed' ? answers.get(change.path) : undefined;
    if (change.type === 'changed' && answer !== undefined) {
      yield { href: ctx.href(change.path, change.collection), propstats: propstatsOf(answer.found, answer.missing) };
    } else {
      yield await responseFor(ctx, change, props, true);
    }
  }
}

async function responseFor(ctx: SyncContext, change: Change, props: PropRequest, fromJournal: boolean): Promise<MultistatusResponse> {
  if (change.type === 'removed') return { href: ctx.href(change.path, change.collection), status: 404 };
  if (change.type === 'forbidden') {
    return { href: ctx.href(change.path, true), status: 403, error: [change.reason === 'supported-report' ? DAV.supportedReport : DAV.syncTraversalSupported] };
  }
  const href = ctx.href(change.path, change.collection);
  if (!fromJournal) {
    const entry = await ctx.members.stat(change.path);
    // A member changed again (or removed) since the delta was planned keeps
    // its journal state here; the next delta reports what came after.
    if (entry !== undefined && entry.collection === change.collection) {
      const { found, missing } = await propertiesOf(entry, props, ctx);
      return { href, propstats: propstatsOf(found, missing) };
    }
  }
  const { found, missing } = journalProperties(change, props);
  return { href, propstats: propstatsOf(found, missing) };
}
