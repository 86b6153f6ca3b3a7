/**
 * The sync tokens of a host request's If header (RFC 6578 §5), decided
 * before the host sees the request: the claims the request takes in the
 * collection gate (`gate.ts`) while it is checked, performed and recorded,
 * then davsync's verdict — 412 when the header is false, else the header
 * handed on with davsync's part decided (`if-tokens.ts`). Whether a token
 * is current is the same rule as in full-server mode
 * (`sync/token-condition.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { DavError, preconditionFailed } from '@davsync/core';
import type { IfHeader } from '@davsync/protocol';
import type { SyncContext } from '../context';
import { parseIfHeader } from '../preconditions';
import { syncTokenHolds } from '../sync/token-condition';
import type { CapturePlan } from './capture';
import type { CollectionGate, GateClaim } from './gate';
import { decideSyncTokens, formatIf, mentionsSyncToken, syncTokenResources } from './if-tokens';

/** The request's If header when it names a sync token (400 when malformed), else `undefined`. */
export function syncTokenConditions(ctx: SyncContext): IfHeader | undefined {
  const value = ctx.header('if');
  if (value === undefined || !mentionsSyncToken(value)) return undefined;
  const header = parseIfHeader(value, ctx.options.limits);
  return syncTokenResources(header).length === 0 ? undefined : header;
}

/**
 * Enters the gate: a captured write shares the paths it changes (`plan`);
 * a write (`captured`: a method davsync captures, tracked or not) with
 * sync-token conditions holds the collections they name exclusively.
 * Resolves with the release; 503 `busy` (Retry-After) when other writes
 * there are still being recorded after `waitMs`.
 */
export async function enterGate(
  gate: CollectionGate,
  ctx: SyncContext,
  captured: boolean,
  plan: CapturePlan | undefined,
  ifHeader: IfHeader | undefined,
  waitMs: number,
): Promise<() => void> {
  const claims: GateClaim[] = plan === undefined ? [] : plan.paths.map((path) => ({ path, mode: 'shared' }));
  if (ifHeader !== undefined && captured) {
    for (const resource of syncTokenResources(ifHeader)) {
      const path = resourcePath(ctx, resource);
      if (path !== undefined) claims.push({ path, mode: 'exclusive' });
    }
  }
  const release = await gate.enter(claims, waitMs);
  if (release === undefined) throw new DavError('busy', 'davsync: writes to this collection are still being recorded', ctx.path);
  return release;
}

/**
 * Decides davsync's conditions: 412 when they make the header false
 * (RFC 4918 §10.4), else hands the host the header without them.
 */
export async function decideSyncTokenConditions(req: IncomingMessage, ctx: SyncContext, ifHeader: IfHeader): Promise<void> {
  const verdict = await decideSyncTokens(ifHeader, (resource, token) => syncTokenHolds(ctx, resourcePath(ctx, resource), token));
  if (!verdict.pass) throw preconditionFailed('a sync token in the If header is not current', ctx.path);
  setIfHeader(req, formatIf(verdict.remaining));
}

/** The member path of an If header's resource (`''`: the request's), or `undefined` when it is not one here. */
function resourcePath(ctx: SyncContext, resource: string): string | undefined {
  if (resource === '') return ctx.path;
  try {
    return ctx.resolve(resource);
  } catch {
    return undefined; // a reference davsync cannot decode names nothing it syncs
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
