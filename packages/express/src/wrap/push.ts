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
 * push properties in PROPFIND answers are `propfind.ts`'s. OPTIONS stays
 * the host's, with `webdav-push` added to its DAV header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PushSuppression } from '@davsync/core';
import { parseXml, PUSH } from '@davsync/protocol';
import { wantsEventStream } from '../change-stream/change-stream';
import type { SyncContext } from '../context';
import type { DavRequest } from '../dav-request';
import { errorResponse } from '../error-response';
import { sendDavResponse } from '../node-http';
import { handlePushRegister, MAX_PUSH_REGISTER_BYTES } from '../push/register';
import { peekBody } from './body-peek';
import { holdResponse, type HeldResponse, type HoldDecision } from './held-response';
import type { WrapState } from './wrap-state';

/**
 * Answers the request when it is push's or the change stream's; returns
 * whether it did. An OPTIONS is not answered but marked for amending
 * (the host's answer gains `webdav-push`).
 */
export async function answerPushRequest(w: WrapState, req: IncomingMessage, res: ServerResponse, ctx: SyncContext): Promise<boolean> {
  const push = w.push;
  const method = ctx.req.method;
  if (push !== undefined && method === 'OPTIONS') {
    advertisePush(w, res, ctx);
    return false;
  }
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
 * With push on, the server does WebDAV-Push, so the host's successful
 * OPTIONS answer says so: `webdav-push` joins its DAV header (the draft §3;
 * full-server mode answers `1, 2, 3, webdav-push`) and, on a tracked
 * collection, POST its Allow, since davsync takes push-register there. An
 * answer without a DAV header (not the host's WebDAV) or not 2xx is sent as
 * the host wrote it.
 */
function advertisePush(w: WrapState, res: ServerResponse, ctx: SyncContext): void {
  const decide = async (held: HeldResponse): Promise<HoldDecision> => {
    const dav = held.header('dav');
    if (held.status < 200 || held.status > 299 || dav === undefined) return { action: 'release' };
    const headers: Record<string, string> = { dav: withToken(dav, 'webdav-push') };
    const allow = held.header('allow');
    if (allow !== undefined && (await w.collections.syncable(ctx.path))) headers['allow'] = withToken(allow, 'POST');
    return { action: 'rewrite', body: held.body(), headers };
  };
  holdResponse(res, decide, (err) => errorResponse(err, w.onError), () => undefined);
}

/** A comma-separated header value with `token` in it (compared case-insensitively, as DAV and Allow tokens are). */
function withToken(value: string, token: string): string {
  const tokens = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return tokens.some((t) => t.toLowerCase() === token.toLowerCase()) ? tokens.join(', ') : [...tokens, token].join(', ');
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
