/**
 * The live change stream: for apps without a push service, a collection's
 * new sync tokens as server-sent events (the HTML standard's EventSource;
 * chosen over long-poll because browsers reconnect by themselves and one
 * connection carries any number of changes). `GET` of a collection with
 * `Accept: text/event-stream` opens one:
 *
 * ```
 * retry: 5000
 *
 * event: change
 * id: <token>
 * data: {"collection":"/dav/cal/","token":"<token>"}
 *
 * : heartbeat
 * ```
 *
 * The first event is the collection's current token (so a client that
 * reconnects learns at once whether it missed something); then one per
 * change in scope (`?depth=1`, the default, or `?depth=infinity`), merged
 * when several arrive in one event-loop turn, never two with the same
 * token. The same authorization as a sync REPORT: a user who may not sync
 * the collection gets the REPORT's 403 at the start, and the stream ends
 * when their access goes. Heartbeat comments keep proxies from timing the
 * connection out; open streams are capped per user (429) and in all (503),
 * both with Retry-After. `Push-Dont-Notify: *` on a write spares the
 * streams too.
 */
import { currentPushSuppression, depthCovers, type ChangeSource, type SyncLogChange } from '@davsync/core';
import { z } from 'zod';
import type { Authorize } from '../access';
import type { SyncContext } from '../context';
import type { ChangeFeed } from '../push/webdav-push';
import type { DavResponse } from '../dav-request';

export const changeStreamOptionsSchema = z
  .object({
    /** A comment line every this many ms, so idle connections stay open through proxies. Default 30 000. */
    heartbeatMs: z.number().int().positive().default(30_000),
    /** Most open streams per user (anonymous counts as one user). Default 8. */
    maxPerUser: z.number().int().positive().default(8),
    /** Most open streams in all. Default 1 000. */
    maxStreams: z.number().int().positive().default(1000),
    /**
     * Changes made through other instances of a shared store (PostgreSQL:
     * a started `PostgresChangeFeed`), so a stream hears them too. Default:
     * only this instance's.
     */
    remoteChanges: z.custom<ChangeSource>((v) => typeof v === 'object' && v !== null && typeof (v as ChangeSource).onChange === 'function', 'remoteChanges must have onChange').optional(),
  })
  .strict();

export type ChangeStreamOptions = z.input<typeof changeStreamOptionsSchema>;
type Resolved = z.output<typeof changeStreamOptionsSchema>;

/** Seconds a refused client should wait before trying again. */
const RETRY_AFTER_SECONDS = 30;

interface Stream {
  readonly collection: string;
  readonly href: string;
  readonly depth: 1 | 'infinity';
  readonly user: string | undefined;
  /** The last token sent, so no event repeats one. */
  lastToken: string | undefined;
  dirty: boolean;
  /** Wakes the stream's writer: something to send, or time to end. */
  wake: () => void;
  ended: boolean;
}

/** Whether a request asks for an event stream (and not, say, the collection page). */
export function wantsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

export class ChangeStreams {
  private readonly streams = new Set<Stream>();
  private readonly detach: () => void;
  private flushing = false;
  private closed = false;

  constructor(
    private readonly options: Resolved,
    private readonly engine: ChangeFeed,
    private readonly authorize: Authorize | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    const local = engine.log.onChange((change) => this.onChange(change));
    const remote = options.remoteChanges?.onChange((change) => this.onChange(change));
    this.detach = () => {
      local();
      remote?.();
    };
  }

  /** How many streams are open (for tests and operators). */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream on the request's collection (access was checked by the handler: `sync`). */
  async open(ctx: SyncContext): Promise<DavResponse> {
    const entry = await ctx.existing();
    if (!entry.collection) return refusal(400, 'davsync: a change stream is opened on a collection');
    const url = ctx.req.url;
    const depthParam = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '').get('depth');
    if (depthParam !== null && depthParam !== '1' && depthParam !== 'infinity') return refusal(400, 'davsync: depth must be 1 or infinity');
    const user = ctx.req.user;
    if (this.closed || this.streams.size >= this.options.maxStreams) return refusal(503, 'davsync: too many change streams are open', RETRY_AFTER_SECONDS);
    if ([...this.streams].filter((s) => s.user === user).length >= this.options.maxPerUser) {
      return refusal(429, `davsync: at most ${this.options.maxPerUser} change streams per user`, RETRY_AFTER_SECONDS);
    }
    const stream: Stream = {
      collection: entry.path,
      href: ctx.href(entry.path, true),
      depth: depthParam === 'infinity' ? 'infinity' : 1,
      user,
      lastToken: undefined,
      dirty: true, // the first event: the current token
      wake: () => undefined,
      ended: false,
    };
    this.streams.add(stream);
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
      body: this.events(stream, ctx.req.signal),
      live: true,
    };
  }

  /** Ends every stream (their responses finish cleanly) and stops listening. */
  close(): void {
    this.closed = true;
    this.detach();
    for (const s of this.streams) this.end(s);
  }

  private async *events(stream: Stream, signal: AbortSignal | undefined): AsyncGenerator<string> {
    const onAbort = (): void => this.end(stream);
    // A signal aborted before the body is read fires no event: check it too.
    if (signal?.aborted === true) this.end(stream);
    signal?.addEventListener('abort', onAbort, { once: true });
    const heartbeat = setInterval(() => stream.wake(), this.options.heartbeatMs);
    try {
      yield 'retry: 5000\n\n';
      let beat = false;
      while (!stream.ended) {
        if (stream.dirty) {
          stream.dirty = false;
          const event = await this.eventFor(stream);
          if (event !== undefined) yield event;
          continue;
        }
        if (beat) {
          beat = false;
          yield ': heartbeat\n\n';
          continue;
        }
        await new Promise<void>((resolve) => {
          stream.wake = () => {
            stream.wake = () => undefined;
            if (!stream.dirty && !stream.ended) beat = true;
            resolve();
          };
        });
      }
    } finally {
      clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
      this.end(stream);
    }
  }

  /** The event for the stream's current token, or none when it is the one last sent; ends a stream whose user lost access. */
  private async eventFor(stream: Stream): Promise<string | undefined> {
    if (this.authorize !== undefined && (await this.authorize({ user: stream.user, method: 'REPORT', path: stream.collection, action: 'sync' })) !== true) {
      this.end(stream);
      return undefined;
    }
    const token = await this.engine.currentToken(stream.collection);
    if (token === undefined) {
      this.end(stream); // the collection is gone
      return undefined;
    }
    if (token === stream.lastToken) return undefined;
    stream.lastToken = token;
    return `event: change\nid: ${token}\ndata: ${JSON.stringify({ collection: stream.href, token })}\n\n`;
  }

  private onChange(change: SyncLogChange): void {
    if (currentPushSuppression() === 'all' || this.streams.size === 0) return;
    const touched = new Set(change.collections);
    for (const s of this.streams) {
      if (!touched.has(s.collection)) continue;
      if (change.paths.some((p) => depthCovers(s.collection, s.depth, p))) {
        s.dirty = true;
        this.scheduleWake();
      }
    }
  }

  /** Wakes the dirty streams once per event-loop turn, so a commit of many paths is one event. */
  private scheduleWake(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      try {
        for (const s of this.streams) if (s.dirty) s.wake();
      } catch (err) {
        this.onError(err);
      }
    });
  }

  private end(stream: Stream): void {
    stream.ended = true;
    this.streams.delete(stream);
    stream.wake();
  }
}

function refusal(status: number, reason: string, retryAfter?: number): DavResponse {
  return {
    status,
    headers: { 'content-length': '0', 'x-davsync-reason': reason, ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }) },
  };
}
