/**
 * The precondition check every method runs before it changes or answers
 * anything: the If header (RFC 4918 §10.4, with sync tokens as state tokens
 * per RFC 6578 §5), If-Match and If-None-Match (RFC 9110 §13.1).
 *
 * Apart from the request context, which holds the request's facts: a
 * precondition is a decision about the request, made once per request.
 */
import { preconditionFailed, type Entry } from '@davsync/core';
import { evaluateIf, ifMatchPasses, ifNoneMatchPasses, parseIf, type CurrentEtags, type IfHeader, type IfResolver } from '@davsync/protocol';
import type { SyncContext } from './context';
import { isLockToken, locksInTheWay, lockTokenHolds, submittedLockTokens, unopenedRoots, type LockTarget } from './locks/lock-check';
import { lockTokenNotSubmitted } from './locks/lock-errors';
import { mayUseLock, notYourLock } from './locks/lock-principal';
import type { ResolvedOptions } from './options';
import { quoteEtag } from './properties/entry-properties';
import { syncTokenHolds } from './sync/token-condition';
import { gzipEtag } from './compression/compress-response';

/** What a precondition reads of the request: its headers, where its references lead, the members and the sync state. */
export type PreconditionRequest = Pick<SyncContext, 'path' | 'header' | 'resolve' | 'may' | 'members' | 'sync' | 'options' | 'lockStore' | 'href' | 'req'>;

/** What a method's precondition check covers besides the request resource's own validators. */
export interface PreconditionOptions {
  /** false: If-None-Match is the caller's (GET/HEAD answer 304 themselves). */
  readonly ifNoneMatch?: boolean;
  /** The paths the method writes: each must have its locks' tokens submitted (423 otherwise). */
  readonly locks?: readonly LockTarget[];
}

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
export async function checkPreconditions(ctx: PreconditionRequest, entry: Entry | undefined, options: PreconditionOptions = {}): Promise<void> {
  const ifValue = ctx.header('if');
  const ifMatch = ctx.header('if-match');
  const ifNoneMatch = options.ifNoneMatch === false ? undefined : ctx.header('if-none-match');
  const locks = options.locks === undefined || ctx.lockStore === undefined ? undefined : { store: ctx.lockStore, targets: options.locks };
  // Most requests carry no condition at all (every up-to-date sync REPORT):
  // nothing to decide, so nothing is built for it.
  if (ifValue === undefined && ifMatch === undefined && ifNoneMatch === undefined && locks === undefined) return;
  const ifHeader = ifValue === undefined ? undefined : parseIfHeader(ifValue, ctx.options.limits);
  const resolver = ifResolver(ctx, entry);
  if (ifHeader !== undefined && !(await evaluateIf(ifHeader, '', resolver))) throw preconditionFailed('the If header is false', ctx.path);
  // A false If is 412 before any lock is looked at (RFC 4918 §10.4.1; litmus
  // fail_cond_put); a true one may still lack the token of a lock in the way: 423.
  if (locks !== undefined) {
    const groups = await locksInTheWay(locks.store, locks.targets);
    if (groups.length > 0) {
      const submitted = ifHeader === undefined ? new Set<string>() : await submittedLockTokens(ifHeader, resolver);
      const roots = unopenedRoots(groups, submitted);
      if (roots.length > 0) throw lockTokenNotSubmitted(ctx.path, await hrefsOf(ctx, roots));
      // The token was submitted, but is it the user's? Another user's opens nothing.
      if (groups.some((group) => !group.some((lock) => submitted.has(lock.token) && mayUseLock(lock, ctx.req.user)))) throw notYourLock(ctx.path);
    }
  }
  if (ifMatch === undefined && ifNoneMatch === undefined) return;
  const current = entry === undefined ? undefined : currentEtags(entry);
  if (!ifMatchPasses(ifMatch, current)) throw preconditionFailed('If-Match', ctx.path);
  if (ifNoneMatch !== undefined && !ifNoneMatchPasses(ifNoneMatch, current)) throw preconditionFailed('If-None-Match', ctx.path);
}

/**
 * The entity tags a member answers to in If, If-Match and If-None-Match:
 * its own, and the tag of its gzip'd representation, which names the same
 * content, so a client echoing what a compressed GET gave it must pass.
 */
export function currentEtags(entry: Entry): CurrentEtags {
  const plain = quoteEtag(entry.etag);
  return [plain, gzipEtag(plain)];
}

/** Hrefs of lock roots for an error body (a collection's ends in `/`; a lock-null root has no member yet). */
export async function hrefsOf(ctx: Pick<SyncContext, 'members' | 'href'>, roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map(async (root) => ctx.href(root, (await ctx.members.stat(root))?.collection === true)));
}

/**
 * How the If header's conditions are decided for a request whose resource
 * is `entry`: ETags from the members, sync tokens from the journal, lock
 * tokens from the lock store.
 */
export function ifResolver(ctx: PreconditionRequest, entry: Entry | undefined): IfResolver {
  const current = entry === undefined ? undefined : currentEtags(entry);
  return {
    etag: async (resource) => {
      if (resource === '') return current;
      const p = ctx.resolve(resource);
      // A member the user may not read is, to them, a member that does not exist.
      if (p === undefined || !(await ctx.may('read', p))) return undefined;
      const e = await ctx.members.stat(p);
      return e === undefined ? undefined : currentEtags(e);
    },
    // A lock token is current where its lock's scope reaches; one the store
    // does not know is false (RFC 4918 §10.4.1), so `(<urn:uuid:bogus>)` is 412.
    isCurrentToken: async (resource, token) => {
      const path = resource === '' ? ctx.path : ctx.resolve(resource);
      return isLockToken(token) ? lockTokenHolds(ctx.lockStore, path, token) : syncTokenHolds(ctx, path, token);
    },
  };
}
