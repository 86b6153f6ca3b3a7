/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9): Destination (same server and mount
 * point, else 502), Overwrite (default T; F with an existing destination is
 * 412), Depth (COPY: 0 or infinity; MOVE: infinity only). 201 when the
 * destination was created, 204 when it was replaced.
 *
 * The ownCloud dialect's `X-OC-Mtime`, which rclone sends with a
 * server-side copy or move of a file, gives the destination file that
 * modification time (answered `X-OC-MTime: accepted`); without it a copy
 * has a time of its own and a moved member keeps its time. See docs/clients.md.
 */
import { badRequest, DavError } from '@davsync/core';
import type { DavContext, SyncContext } from '../context';
import { checkPreconditions } from '../preconditions';
import type { DavResponse } from '../dav-request';
import { parseDestination, parseOcMtime, parseOverwrite } from '@davsync/protocol';
import { otherServer, targetOf } from '../hrefs';

export async function handleCopyMove(ctx: DavContext): Promise<DavResponse> {
  const move = ctx.req.method === 'MOVE';
  const destination = destinationPath(ctx);
  const overwrite = parseOverwrite(ctx.header('overwrite'));
  const depth = ctx.depth() ?? 'infinity';
  // Parsed before anything changes, so a bad value refuses the whole request.
  const clientTime = parseOcMtime(ctx.header('x-oc-mtime'));
  if (depth === 1 || (move && depth !== 'infinity')) throw badRequest(`davsync: ${ctx.req.method} does not allow Depth: ${depth}`);
  const source = await ctx.existing();
  if (destination === source.path) throw new DavError('forbidden', 'davsync: source and destination are the same', destination);
  // What the method writes: the destination and, when it replaces a
  // collection, all it held; for a MOVE the source and all it takes along.
  const replaced = await ctx.engine.adapter.stat(destination);
  const writes = [{ path: destination, below: replaced?.collection === true }];
  if (move) writes.push({ path: source.path, below: source.collection });
  await checkPreconditions(ctx, source, { locks: writes });
  await authorizeTransfer(ctx, move, source.path, source.collection && depth !== 0, destination);
  const result = move
    ? await ctx.engine.move(source.path, destination, { overwrite })
    : await ctx.engine.copy(source.path, destination, { overwrite, depth: depth === 0 ? 0 : 'infinity' });
  // RFC 4918 §7.6, §9.9.1: locks stay with their URL, not with the resource
  // moved away; a COPY copies none (nothing to do).
  if (move) await ctx.engine.locks.removeWithin(source.path);
  const headers: Record<string, string> = { 'content-length': '0' };
  // Files only: a collection's time says little, and the header names one file's.
  if (clientTime !== undefined && !source.collection && ctx.engine.adapter.setModified !== undefined) {
    await ctx.engine.setModified(destination, clientTime);
    headers['x-oc-mtime'] = 'accepted';
  }
  return { status: result.created ? 201 : 204, headers };
}

/**
 * The user must be able to read everything copied (else a copy would
 * disclose it), write the destination and whatever it replaces, and for a
 * MOVE write everything moved away (`collection`: the source has members
 * that go along). The source itself was checked by the handler (read for COPY, write
 * for MOVE).
 */
async function authorizeTransfer(ctx: DavContext, move: boolean, source: string, collection: boolean, destination: string): Promise<void> {
  if (!ctx.restricted) return;
  if (move) await ctx.require('read', source);
  await ctx.require('write', destination);
  // An overwritten destination collection is deleted with all it holds.
  const replaced = await ctx.engine.adapter.stat(destination);
  if (replaced?.collection) await ctx.requireBelow('write', destination);
  if (!collection) return;
  await ctx.requireBelow('read', source);
  if (move) await ctx.requireBelow('write', source);
}

/** The Destination as a member path under this mount point. */
export function destinationPath(ctx: SyncContext): string {
  const target = targetOf(parseDestination(ctx.header('destination')), ctx.req.base, ctx.req.origin);
  if (target === undefined) throw otherServer();
  return target.path;
}
