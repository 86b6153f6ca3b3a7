/**
 * WebDAV-Push and the change stream in wrap mode: what davsync answers
 * itself before the host sees the request, as in full-server mode —
 * - the registration URLs (`/.webdav-push/<id>`: GET, DELETE; the listing);
 * - POST of a `push-register` document to a tracked collection (any other
 *   POST — CalDAV scheduling, a host's own forms — goes to the host
 *   untouched, as does a push-register to a collection davsync does not
 *   sync: the host answers it as it would any POST);
 * - GET of a tracked collection with `Accept: text/event-stream`;
 * and which registrations a captured write's Push-Dont-Notify spares. The
 * push properties in PROPFIND answers are `propfind.ts`'s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PushSuppression } from '@davsync/core';
import { parseXml, PUSH } from '@davsync/protocol';
import { wantsEventStream } from '../change-stream/change-stream';
import type { SyncContext } from '../context';
import type { DavRequest } from '../dav-request';
import { sendDavResponse } from '../node-http';
import { handlePushRegister, MAX_PUSH_REGISTER_BYTES } from '../push/register';
import { peekBody } from './body-peek';
import type { WrapState } from './wrap-state';

/** Answers the request when it is push's or the change stream's; returns whether it did. */
export async function answerPushRequest(w: WrapState, req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<boolean> {
  const push = w.push;
  const method = ctx.req.method;
  if (push !== undefined && push.isRegistrationTarget(ctx.req)) {
    await sendDavResponse(req, res, await push.handleRegistrationUrl(ctx.req));
    return true;
  }
  if (push !== undefined && method === 'POST') {
    const body = await peekBody(req, MAX_PUSH_REGISTER_BYTES);
    if (body === undefined || !(await isPushRegister(body, ctx)) || !(await w.collections.syncable(ctx.path))) return false;
    const withBody: DavRequest = { ...ctx.req, body: oneChunk(body) };
    await sendDavResponse(req, res, await handlePushRegister(w.context(withBody), push));
    return true;
  }
  if (w.changeStreams !== undefined && method === 'GET' && wantsEventStream(ctx.header('accept')) && (await w.collections.syncable(ctx.path))) {
    // What a sync REPORT needs: the same `sync` access (a refusal is thrown: the middleware answers it).
    await ctx.require('sync', ctx.path);
    await sendDavResponse(req, res, await w.changeStreams.open(ctx));
    return true;
  }
  return false;
}

/**
 * The registrations a write's Push-Dont-Notify spares (the draft §5.2);
 * without push, `*` still spares the change streams.
 */
export async function suppressionOf(w: WrapState, req: DavRequest): Promise<PushSuppression | undefined> {
  if (w.push !== undefined) return w.push.suppressionOf(req);
  return req.headers['push-dont-notify']?.trim() === '*' ? 'all' : undefined;
}

/** Whether a POST body is a push-register document (anything else is the host's). */
async function isPushRegister(body: Buffer, ctx: SyncContext): Promise<boolean> {
  try {
    return (await parseXml(body, { ...ctx.xmlLimits(), maxBytes: MAX_PUSH_REGISTER_BYTES })).name === PUSH.pushRegister;
  } catch {
    return false;
  }
}

async function* oneChunk(body: Buffer): AsyncIterable<Uint8Array> {
  yield body;
}
