/**
 * The precondition check every method runs before it changes or answers
 * anything: the If header (RFC 4918 §10.4, with sync tokens as state tokens
 * per RFC 6578 §5), If-Match and If-None-Match (RFC 9110 §13.1).
 *
 * Apart from the request context, which holds the request's facts: a
 * precondition is a decision about the request, made once per request.
 */
import { preconditionFailed, type Entry } from '@davsync/core';
import { evaluateIf, ifMatchPasses, ifNoneMatchPasses, parseIf, type IfHeader } from '@davsync/protocol';
import type { SyncContext } from './context';
import type { ResolvedOptions } from './options';
import { quoteEtag } from './properties/entry-properties';
import { syncTokenHolds } from './sync/token-condition';

/** What a precondition reads of the request: its headers, where its references lead, the members and the sync state. */
export type PreconditionRequest = Pick<SyncContext, 'path' | 'header' | 'resolve' | 'may' | 'members' | 'sync' | 'options'>;

/** Parses an If header within the configured limits (400 when malformed or too large). */
export function parseIfHeader(value: string, limits: Pick<ResolvedOptions['limits'], 'ifLength' | 'ifLists' | 'ifConditions'>): IfHeader {
  return parseIf(value, { maxLength: limits.ifLength, maxLists: limits.ifLists, maxConditions: limits.ifConditions });
}

/**
 * Runs the If, If-Match and If-None-Match checks against the request
 * resource's current `entry` (undefined: it does not exist). A false If
 * header or If-Match is 412; a false If-None-Match is 412 (the GET/HEAD
 * caller turns that into 304 itself). A malformed header is 400.
 */
export async function checkPreconditions(ctx: PreconditionRequest, entry: Entry | undefined, options: { ifNoneMatch?: boolean } = {}): Promise<void> {
  const current = entry === undefined ? undefined : quoteEtag(entry.etag);
  const ifHeader = ctx.header('if');
  if (ifHeader !== undefined) {
    const pass = await evaluateIf(parseIfHeader(ifHeader, ctx.options.limits), '', {
      etag: async (resource) => {
        if (resource === '') return current;
        const p = ctx.resolve(resource);
        // A member the user may not read is, to them, a member that does not exist.
        if (p === undefined || !(await ctx.may('read', p))) return undefined;
        const e = await ctx.members.stat(p);
        return e === undefined ? undefined : quoteEtag(e.etag);
      },
      isCurrentToken: async (resource, token) => syncTokenHolds(ctx, resource === '' ? ctx.path : ctx.resolve(resource), token),
    });
    if (!pass) throw preconditionFailed('the If header is false', ctx.path);
  }
  if (!ifMatchPasses(ctx.header('if-match'), current)) throw preconditionFailed('If-Match', ctx.path);
  if (options.ifNoneMatch !== false && !ifNoneMatchPasses(ctx.header('if-none-match'), current)) {
    throw preconditionFailed('If-None-Match', ctx.path);
  }
}
