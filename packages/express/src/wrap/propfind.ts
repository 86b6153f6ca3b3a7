/**
 * Wrap mode's PROPFIND: the host answers; when the request asked for
 * `DAV:sync-token` or `DAV:supported-report-set` (or, with push on, a
 * WebDAV-Push property), davsync holds the host's 207 and merges its
 * properties in for the collections it syncs
 * (`propfind-merge.ts`). Whatever davsync cannot merge is passed on as the
 * host wrote it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DAV, parseDepth, parsePropfind, parseXmlIfPresent, type PropRequest, type XmlNode } from '@davsync/protocol';
import { PUSH_PROPERTY_NAMES, pushPropertyValue } from '../push/push-properties';
import type { SyncContext } from '../context';
import { errorResponse } from '../error-response';
import { pathFromReference } from '../hrefs';
import { visibleSyncToken } from '../sync/access-view';
import { peekBody } from './body-peek';
import { holdResponse, type HeldResponse, type HoldDecision } from './held-response';
import { mergeSyncProperties, type WantedProperties } from './propfind-merge';
import type { WrapState } from './wrap-state';

/** When the PROPFIND asks for sync properties, holds the host's answer to merge them in. */
export async function mergeIntoPropfind(w: WrapState, req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<void> {
  const depth = safely(() => parseDepth(ctx.header('depth')));
  if (depth === 0 && w.tracked.rootOf(ctx.path) === undefined) return; // only the host's own resources in the answer
  const body = await peekBody(req, w.options.limits.xmlBytes);
  if (body === undefined) return;
  let request: PropRequest;
  try {
    request = parsePropfind(await parseXmlIfPresent(body, ctx.xmlLimits()));
  } catch {
    return; // the host's to refuse
  }
  const asked = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
  const push = w.push === undefined ? [] : asked.filter((n) => PUSH_PROPERTY_NAMES.includes(n));
  const wanted: WantedProperties = { syncToken: asked.includes(DAV.syncToken), supportedReportSet: asked.includes(DAV.supportedReportSet), push };
  if (!wanted.syncToken && !wanted.supportedReportSet && push.length === 0) return;
  holdResponse(
    res,
    async (held) => {
      try {
        return await merged(w, held, wanted, ctx);
      } catch (err) {
        w.onError(err);
        return { action: 'release' };
      }
    },
    (err) => errorResponse(err, w.onError),
    () => undefined,
  );
}

async function merged(w: WrapState, held: HeldResponse, wanted: WantedProperties, ctx: SyncContext): Promise<HoldDecision> {
  const encoding = held.header('content-encoding');
  if (held.status !== 207 || (encoding !== undefined && encoding !== 'identity')) return { action: 'release' };
  const body = held.body();
  const mergeBytes = w.options.mergeBytes;
  if (body.length > mergeBytes) return { action: 'release' };
  const result = await mergeSyncProperties(
    body,
    wanted,
    async (href) => {
      const target = safely(() => pathFromReference(href, ctx.req.base, ctx.req.origin));
      if (target === undefined || !(await w.collections.syncable(target.path))) return undefined;
      // A user who may not sync the collection gets the host's answer for it
      // as it is, as for an untracked one.
      const token = await visibleSyncToken(ctx, target.path);
      if (token === undefined || w.push === undefined || wanted.push?.length === 0) return token;
      const src = w.push;
      // The values are text or children (never raw XML): nodes of the host's document.
      const push = (wanted.push ?? []).map((name): XmlNode => ({ ...(pushPropertyValue(name, target.path, src) as Omit<XmlNode, 'name'>), name }));
      return { token, push };
    },
    { maxBytes: mergeBytes, maxTextLength: mergeBytes, maxElements: Number.MAX_SAFE_INTEGER, maxDepth: 64 },
  );
  if (result === undefined) return { action: 'release' };
  const type = (held.header('content-type') ?? 'application/xml').split(';')[0]?.trim() || 'application/xml';
  return { action: 'rewrite', body: result, headers: { 'content-type': `${type}; charset=utf-8` } };
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
