/**
 * POST `push-register` on a collection (the draft §4.1, §4.2): validates the
 * body and the push resource, registers or updates, and answers 201 (new)
 * or 204 (updated) with the registration URL in `Location` and the granted
 * expiry in `Expires`. Refusals are the draft's 403s with their
 * precondition element; a malformed or oversized body is 400/413 as for
 * any XML body.
 */
import { DavError, isDavError, type PushRegistration } from '@davsync/core';
import { errorBody, parsePushRegister, parseXml, PUSH } from '@davsync/protocol';
import type { SyncContext } from '../context';
import type { DavResponse } from '../dav-request';
import { registrationUrl } from './registration-url';
import type { WebDavPush } from './webdav-push';

/** A push-register body is a few hundred bytes; nothing legitimate comes near this. */
export const MAX_PUSH_REGISTER_BYTES = 16 * 1024;

type PushCondition = 'invalid-subscription' | 'push-not-available' | 'no-supported-trigger';

const CONDITIONS: Readonly<Record<PushCondition, string>> = {
  'invalid-subscription': PUSH.invalidSubscription,
  'push-not-available': PUSH.pushNotAvailable,
  'no-supported-trigger': PUSH.noSupportedTrigger,
};

/** A 403 with the draft's precondition element and the reason in `X-Davsync-Reason`. */
export function pushRefusal(condition: PushCondition, reason: string): DavResponse {
  const body = errorBody(CONDITIONS[condition]);
  return {
    status: 403,
    headers: {
      'content-type': 'application/xml; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-davsync-reason': reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200),
    },
    body,
  };
}

export async function handlePushRegister(ctx: SyncContext, push: WebDavPush): Promise<DavResponse> {
  const type = ctx.header('content-type');
  if (type !== undefined && !/^(application|text)\/xml\s*(;|$)/i.test(type)) {
    throw new DavError('unsupported-media-type', 'davsync: a push-register body must be application/xml', ctx.path);
  }
  // Refused the same way whether or not the collection exists: no answer tells a user what they may not sync.
  if (!(await ctx.may('sync', ctx.path))) return pushRefusal('push-not-available', 'davsync: you may not sync this collection, so you may not register for its changes');
  const limits = { ...ctx.xmlLimits(), maxBytes: Math.min(ctx.options.limits.xmlBytes, MAX_PUSH_REGISTER_BYTES) };
  const parsed = parsePushRegister(await parseXml(ctx.req.body, limits));
  const entry = await ctx.existing();
  if (!entry.collection) return pushRefusal('push-not-available', 'davsync: push is available on collections only');
  if (!parsed.ok) return pushRefusal(parsed.condition, parsed.message);
  const { request } = parsed;
  const refused = push.policy.refusal(request.subscription.pushResource, ctx.header('host'));
  if (refused !== undefined) return pushRefusal('invalid-subscription', `davsync: ${refused}`);

  const now = Date.now();
  const max = now + push.options.maxExpirySeconds * 1000;
  const asked = request.expires?.getTime();
  // An expiry in the past or none: the default; one beyond the cap: the cap (the draft lets the server shorten it).
  const expires = asked === undefined || asked <= now ? now + push.options.defaultExpirySeconds * 1000 : Math.min(asked, max);
  let registered: { registration: PushRegistration; created: boolean };
  try {
    registered = await push.store.register(
      {
        collection: entry.path,
        user: ctx.req.user,
        subscription: request.subscription,
        trigger: {
          ...(request.contentUpdate === undefined ? {} : { contentUpdate: request.contentUpdate }),
          ...(request.propertyUpdate === undefined ? {} : { propertyUpdate: request.propertyUpdate }),
        },
        // Whole seconds, so `Expires` (an HTTP date) says exactly when it ends.
        expires: Math.floor(expires / 1000) * 1000,
      },
      { maxForUser: push.options.maxRegistrationsPerUser },
    );
  } catch (err) {
    // The user's own cap: they may not register more (the draft's refusal), unlike a full store (507).
    if (isDavError(err, 'forbidden')) return pushRefusal('push-not-available', err.message);
    throw err;
  }
  const { registration, created } = registered;
  push.prepareKeys(registration);
  return {
    status: created ? 201 : 204,
    headers: {
      location: registrationUrl(ctx.req, registration.id),
      expires: new Date(registration.expires).toUTCString(),
      ...(created ? { 'content-length': '0' } : {}),
    },
  };
}
