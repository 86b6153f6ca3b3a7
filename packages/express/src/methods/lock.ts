/**
 * LOCK (RFC 4918 §9.10): a new write lock from a `DAV:lockinfo` body, or
 * with no body a refresh of the lock whose token the If header submits.
 * A new lock answers 200 (201 when it created the member: §7.3, an
 * unmapped URL gets an empty member, written through the engine like a PUT
 * so sync clients see it) with `Lock-Token` and the lock's
 * `DAV:lockdiscovery`. Locking itself changes no ETag and no sync token:
 * locks live in the lock store, not in the journal.
 */
import { badRequest, isDavError, preconditionFailed, type ActiveLock, type LockDepth } from '@davsync/core';
import { parseXmlIfPresent } from '@davsync/protocol';
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { isLockToken, submittedLockTokens } from '../locks/lock-check';
import { conflictingLock } from '../locks/lock-errors';
import { mayUseLock, notYourLock } from '../locks/lock-principal';
import { activeLockXml, lockAnswerBody } from '../locks/lock-properties';
import { parseLockInfo, parseTimeout } from '../locks/lock-request';
import { checkPreconditions, hrefsOf, ifResolver, parseIfHeader } from '../preconditions';

export async function handleLock(ctx: DavContext): Promise<DavResponse> {
  const body = await parseXmlIfPresent(ctx.req.body, ctx.xmlLimits());
  const timeout = parseTimeout(ctx.header('timeout'));
  if (body === undefined) return refresh(ctx, timeout);
  const info = parseLockInfo(body);
  const depth = lockDepth(ctx);
  const entry = await ctx.engine.adapter.stat(ctx.path);
  // Creating the member is a write to its collection: an ancestor's lock needs its token.
  await checkPreconditions(ctx, entry, entry === undefined ? { locks: [{ path: ctx.path }] } : {});
  const result = await ctx.engine.locks.lock({
    path: ctx.path,
    scope: info.scope,
    depth,
    timeout,
    ...(info.owner === undefined ? {} : { owner: info.owner }),
    ...(ctx.req.user === undefined ? {} : { principal: ctx.req.user }),
  });
  if (!result.granted) throw conflictingLock(ctx.path, await hrefsOf(ctx, [...new Set(result.conflicts.map((l) => l.root))]));
  const lock = result.lock;
  let created = false;
  if (entry === undefined) {
    try {
      // Only if still absent: a PUT that won the race keeps its content.
      created = (await ctx.engine.write(ctx.path, emptyBody(), { expectedEtag: null })).created;
    } catch (err) {
      // Another request created it meanwhile: the lock stands on that member.
      if (!isDavError(err, 'precondition-failed')) {
        // No member, no lock: a LOCK that fails changes nothing.
        await ctx.engine.locks.unlock(lock.token, ctx.path);
        throw err;
      }
    }
  }
  return answer(ctx, created ? 201 : 200, [lock], { 'lock-token': `<${lock.token}>` });
}

/**
 * §9.10.2: a LOCK without a body refreshes the locks of this URL whose
 * tokens the If header submits (in a list that is true). No If header, or
 * one naming no lock token, is not a refresh at all: 400. A false If, or
 * tokens that are no lock of this URL, are 412.
 */
async function refresh(ctx: DavContext, timeout: number | 'infinite'): Promise<DavResponse> {
  const value = ctx.header('if');
  if (value === undefined) throw badRequest('davsync: a LOCK without a body is a refresh and needs the lock token in an If header');
  const header = parseIfHeader(value, ctx.options.limits);
  if (!header.lists.some((list) => list.conditions.some((c) => c.kind === 'token' && !c.not && isLockToken(c.token)))) {
    throw badRequest('davsync: a lock refresh needs a lock token in its If header');
  }
  const entry = await ctx.engine.adapter.stat(ctx.path);
  await checkPreconditions(ctx, entry);
  const refreshed: ActiveLock[] = [];
  const tokens = await submittedLockTokens(header, ifResolver(ctx, entry));
  for (const token of tokens) {
    const held = await ctx.engine.locks.get(token);
    if (held !== undefined && !mayUseLock(held, ctx.req.user)) throw notYourLock(ctx.path);
  }
  for (const token of tokens) {
    const lock = await ctx.engine.locks.refresh(token, ctx.path, timeout);
    if (lock !== undefined) refreshed.push(lock);
  }
  if (refreshed.length === 0) throw preconditionFailed('no lock of this URL was submitted to refresh', ctx.path);
  return answer(ctx, 200, refreshed, {});
}

/** Depth of a new lock: 0 or infinity, infinity when absent (§9.10.3); 1 is 400. */
function lockDepth(ctx: DavContext): LockDepth {
  const depth = ctx.depth() ?? 'infinity';
  if (depth === 1) throw badRequest('davsync: a LOCK takes Depth 0 or infinity');
  return depth;
}

async function answer(ctx: DavContext, status: number, locks: readonly ActiveLock[], headers: Record<string, string>): Promise<DavResponse> {
  const now = ctx.engine.locks.now(); // the store's clock measures the timeout left
  const parts = await Promise.all(locks.map(async (lock) => activeLockXml(lock, (await hrefsOf(ctx, [lock.root]))[0] as string, now)));
  const body = lockAnswerBody(parts.join(''));
  return {
    status,
    headers: { ...headers, 'content-type': 'application/xml; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // An empty member: no chunks.
}
