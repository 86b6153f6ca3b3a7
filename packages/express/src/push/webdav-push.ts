/**
 * WebDAV-Push in the middleware: the one owner of push for a handler. It
 * holds the registration store, the dispatcher listening to the engine's
 * change events, the VAPID identity and the topic key, and answers the
 * push requests — `POST push-register` on a collection (`register.ts`),
 * `DELETE`/`GET` of a registration URL — and the push properties. The
 * handler asks it only: is push on, is this a registration URL, which
 * registrations does this request's Push-Dont-Notify spare.
 */
import { MemoryPushRegistrationStore, normalizePath, PushDispatcher, pushTopic, type ChangeSource, type PushRegistration, type PushRegistrationStore, type PushSuppression } from '@davsync/core';
import type { Authorize } from '../access';
import type { DavRequest, DavResponse } from '../dav-request';
import type { ResolvedPushOptions } from './push-options';
import { PushResourcePolicy } from './push-resource-policy';
import type { PushPropertySource } from './push-properties';
import { parseDontNotify, registrationTarget } from './registration-url';
import { WebPushTransport } from './web-push-transport';

/**
 * Where push learns of changes and reads tokens: a `SyncEngine` (full-server
 * mode), or a wrap middleware's sync log (`{ currentToken, log }`).
 */
export interface ChangeFeed {
  currentToken(collection: string): Promise<string | undefined>;
  readonly log: ChangeSource;
}

/** Collections whose topic is kept (~100 bytes each). */
const MAX_CACHED_TOPICS = 10_000;

export class WebDavPush implements PushPropertySource {
  readonly store: PushRegistrationStore;
  readonly policy: PushResourcePolicy;
  readonly dispatcher: PushDispatcher;
  private readonly topicKey: Buffer;
  /** Topics by collection: an HMAC per message was ~12 µs of a fan-out's ~150 per message; bounded, cleared when full. */
  private readonly topics = new Map<string, string>();
  private readonly detach: () => void;
  /** The transport this owns (the Web Push one), closed with it; one given in the options is the caller's. */
  private readonly ownTransport: WebPushTransport | undefined;

  constructor(
    readonly options: ResolvedPushOptions,
    engine: ChangeFeed,
    authorize: Authorize | undefined,
    onError: (err: unknown) => void,
  ) {
    this.store = options.store ?? new MemoryPushRegistrationStore({ maxRegistrations: options.maxRegistrations });
    this.policy = new PushResourcePolicy(options);
    // Topics are keyed by the VAPID private key: no second secret to keep, and the same on every instance sharing the keys.
    this.topicKey = Buffer.from(options.vapid.privateKey, 'base64url');
    this.ownTransport =
      options.transport === undefined
        ? new WebPushTransport({
            vapid: options.vapid,
            policy: this.policy,
            timeoutMs: options.deliveryTimeoutMs,
            http2: options.http2,
            maxSocketsPerService: options.maxConnectionsPerService,
            maxStreamsPerService: options.maxStreamsPerService,
            ...(options.testTrustedCa === undefined ? {} : { testTrustedCa: options.testTrustedCa }),
          })
        : undefined;
    const transport = options.transport ?? (this.ownTransport as WebPushTransport);
    this.dispatcher = new PushDispatcher({
      store: this.store,
      transport,
      topicOf: (c) => this.topicOf(c),
      tokenOf: (c) => engine.currentToken(c),
      // Told only while they may sync the collection, as a sync REPORT would require.
      ...(authorize === undefined ? {} : { mayNotify: async (r: PushRegistration) => (await authorize({ user: r.user, method: 'REPORT', path: r.collection, action: 'sync' })) === true }),
      coalesceMs: options.coalesceMs,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      onError,
    });
    this.detach = this.dispatcher.attach(engine.log);
  }

  get vapidPublicKey(): string {
    return this.options.vapid.publicKey;
  }

  topicOf(collection: string): string {
    let topic = this.topics.get(collection);
    if (topic === undefined) {
      if (this.topics.size >= MAX_CACHED_TOPICS) this.topics.clear();
      this.topics.set(collection, (topic = pushTopic(this.topicKey, collection)));
    }
    return topic;
  }

  /** Lets the Web Push transport make the keys of the registration's first message before a change needs them. */
  prepareKeys(registration: PushRegistration): void {
    this.ownTransport?.prepare(registration);
  }

  /** The registration URL a request targets, if it is under the reserved segment. */
  isRegistrationTarget(req: DavRequest): boolean {
    return registrationTarget(req.url) !== undefined;
  }

  /**
   * The registrations a request's Push-Dont-Notify spares: `'all'` for `*`,
   * else those listed that belong to the request's user (the draft §8.1:
   * another user's registration URL is not honoured).
   */
  async suppressionOf(req: DavRequest): Promise<PushSuppression | undefined> {
    const parsed = parseDontNotify(req.headers['push-dont-notify'], req);
    if (parsed === undefined || parsed === 'all') return parsed;
    const own = new Set<string>();
    for (const id of parsed) if ((await this.store.get(id))?.user === req.user) own.add(id);
    return own;
  }

  /**
   * DELETE (unsubscribe) or GET (inspect) of a registration URL, only by its
   * owner; GET of the segment itself with `?collection=/path`: the
   * requesting user's registrations on that collection, each with its last
   * delivery (for debugging a client that hears nothing).
   */
  async handleRegistrationUrl(req: DavRequest): Promise<DavResponse> {
    const target = registrationTarget(req.url);
    const id = target?.id;
    if (target?.listing === true && (req.method === 'GET' || req.method === 'HEAD')) {
      const collection = target.query.get('collection');
      if (collection === null || !collection.startsWith('/') || collection.length > 4096) {
        return { status: 400, headers: { 'content-length': '0', 'x-davsync-reason': 'davsync: give ?collection=/path' } };
      }
      const mine = (await this.store.list(normalizePath(collection))).filter((r) => r.user === req.user).map(describeRegistration);
      return json(req, mine);
    }
    if (req.method !== 'DELETE' && req.method !== 'GET' && req.method !== 'HEAD') {
      return { status: 405, headers: { allow: 'GET, HEAD, DELETE', 'content-length': '0' } };
    }
    const registration = id === undefined ? undefined : await this.store.get(id);
    if (registration === undefined) return { status: 404, headers: { 'content-length': '0' } };
    if (registration.user !== req.user) return { status: 403, headers: { 'content-length': '0', 'x-davsync-reason': 'davsync: this push registration belongs to another user' } };
    if (req.method === 'DELETE') {
      await this.store.remove(registration.id);
      return { status: 204, headers: {} };
    }
    return json(req, describeRegistration(registration));
  }

  /** The live registrations on `collection` with their last delivery (for operators: `handler.push.list`). */
  async list(collection: string): Promise<ReturnType<typeof describeRegistration>[]> {
    return (await this.store.list(collection)).map(describeRegistration);
  }

  async close(): Promise<void> {
    this.detach();
    await this.dispatcher.close();
    this.ownTransport?.close();
    // A store given in the options (a durable one) belongs to its store's owner; only the default one is closed here.
    if (this.options.store === undefined) await this.store.close?.();
  }
}

/** A JSON answer (no body for HEAD), never cached: it changes with every delivery. */
function json(req: DavRequest, value: unknown): DavResponse {
  const body = JSON.stringify(value, null, 2);
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' },
    ...(req.method === 'GET' ? { body } : {}),
  };
}

/** A registration as operators see it: no keys, the push resource's origin only (its path is a capability). */
export function describeRegistration(r: PushRegistration): {
  id: string;
  collection: string;
  user: string | null;
  pushService: string;
  trigger: PushRegistration['trigger'];
  created: string;
  expires: string;
  failures: number;
  lastDelivery: { at: string; ok: boolean; status?: number; error?: string } | null;
} {
  let pushService: string;
  try {
    pushService = new URL(r.subscription.pushResource).origin;
  } catch {
    pushService = '(invalid)';
  }
  return {
    id: r.id,
    collection: r.collection,
    user: r.user ?? null,
    pushService,
    trigger: r.trigger,
    created: new Date(r.created).toISOString(),
    expires: new Date(r.expires).toISOString(),
    failures: r.failures,
    lastDelivery: r.lastDelivery === undefined ? null : { ...r.lastDelivery, at: new Date(r.lastDelivery.at).toISOString() },
  };
}
