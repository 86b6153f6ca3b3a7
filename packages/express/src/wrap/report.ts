/**
 * Wrap mode's REPORT: a `DAV:sync-collection` on a collection davsync
 * syncs is answered by the same handler as in full-server mode
 * (`sync/report.ts`), with the changed members' properties from the host;
 * any other report, or one on another resource, is the host's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { DAV, parseXmlIfPresent } from '@davsync/protocol';
import type { SyncContext } from '../context';
import type { DavResponse } from '../dav-request';
import { errorResponse } from '../error-response';
import { sendDavResponse } from '../node-http';
import { handleReport } from '../sync/report';
import { peekBody } from './body-peek';
import type { WrapState } from './wrap-state';

/** Answers a sync-collection REPORT on a collection davsync syncs; false to leave the request to the host. */
export async function answerReport(w: WrapState, req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<boolean> {
  if (!(await w.collections.syncable(ctx.path))) return false;
  const body = await peekBody(req, w.options.limits.xmlBytes);
  if (body === undefined) return false;
  const root = await parseXmlIfPresent(body, ctx.xmlLimits()).catch(() => undefined);
  if (root?.name !== DAV.syncCollection) return false; // another report: the host's
  req.resume(); // the body was put back for the host; nobody else reads it now
  const request = { ...ctx.req, body: Readable.from([body]) };
  let response: DavResponse;
  try {
    const reportCtx = w.context(request);
    await reportCtx.require('sync', reportCtx.path);
    response = await handleReport(reportCtx, w.propertySource);
  } catch (err) {
    response = errorResponse(err, w.onError);
  }
  await sendDavResponse(req, res, response);
  return true;
}
