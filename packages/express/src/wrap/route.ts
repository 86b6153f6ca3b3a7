/**
 * One host request through wrap mode, from the moment it arrives: which
 * touch point it meets (a sync REPORT answered, a PROPFIND merged, a write
 * captured, or none), with sync-token conditions decided and the gate held
 * while that happens. Everything else is passed to the host untouched.
 * Errors are thrown: the middleware answers them through `errorResponse`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyncContext } from '../context';
import { errorResponse } from '../error-response';
import type { NextFunction } from '../middleware';
import { toDavRequest } from '../node-http';
import { CAPTURED_METHODS, planCapture } from './capture';
import { holdResponse } from './held-response';
import { mergeIntoPropfind } from './propfind';
import { answerPushRequest, suppressionOf } from './push';
import { answerReport } from './report';
import { decideSyncTokenConditions, enterGate, syncTokenConditions } from './sync-token-gate';
import type { WrapState } from './wrap-state';

export async function routeRequest(w: WrapState, req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): Promise<void> {
  const pass = (): void => {
    if (next !== undefined) next();
    else {
      res.statusCode = 404;
      res.setHeader('content-length', '0');
      res.end();
    }
  };
  let ctx: SyncContext;
  try {
    const user = w.options.user?.(req);
    ctx = w.context({ ...toDavRequest(req), ...(user === undefined ? {} : { user: String(user) }) });
  } catch {
    return pass(); // a target davsync cannot decode is the host's to judge
  }
  if ((w.push !== undefined || w.changeStreams !== undefined) && (await answerPushRequest(w, req, res, ctx))) return;
  const method = ctx.req.method;
  const captured = CAPTURED_METHODS.has(method);
  const plan = captured ? await planCapture(ctx, w.capture) : undefined;
  const ifHeader = syncTokenConditions(ctx);
  const release = await enterGate(w.gate, ctx, captured, plan, ifHeader, w.options.preconditionWaitMs);
  let heldUntilRecorded = false;
  try {
    if (ifHeader !== undefined) await decideSyncTokenConditions(req, ctx, ifHeader);
    if (method === 'REPORT') {
      if (!(await answerReport(w, req, res, ctx))) pass();
      return;
    }
    if (method === 'PROPFIND') {
      await mergeIntoPropfind(w, req, res, ctx);
      pass();
      return;
    }
    if (plan !== undefined) {
      // Read now: the registrations it names are looked up before the host answers.
      const suppression = await suppressionOf(w, ctx.req);
      heldUntilRecorded = true;
      holdResponse(res, (held) => w.recorder.recordCaptured(plan, held, suppression), (err) => errorResponse(err, w.onError), release);
    }
    pass();
  } finally {
    if (!heldUntilRecorded) release();
  }
}
