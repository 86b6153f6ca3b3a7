/**
 * The server's change stream, so a continuous sync hears of a remote
 * change at once instead of at its next poll: davsync's server-sent events
 * (`GET` of the collection with `Accept: text/event-stream`,
 * `?depth=infinity`; each `change` event carries `{collection, token}`, the
 * first one the current token — see docs/push.md).
 *
 * Discovery is the request itself: a server without the stream answers the
 * GET with something else (a collection page, 405, 404), and the caller
 * polls instead. A dropped stream is opened again with back-off (the
 * server's `retry:` at the least, doubling to a minute); the first event of
 * each connection tells the caller to catch up on what it missed.
 *
 * WebDAV-Push proper (Web Push messages through a push service) is for
 * clients that have a push service; a desktop process can hold a
 * connection, which is simpler and needs no third party.
 */
import { RemoteError } from './remote-error';
import type { RemoteHttp } from './remote-http';
import type { RemotePaths } from './remote-paths';

export type StreamStatus =
  /** Connected: events will arrive. */
  | { readonly state: 'connected' }
  /** The server has no change stream here (it answered the GET with something else): poll. */
  | { readonly state: 'unsupported'; readonly why: string }
  /** Lost or refused for now; tried again after `retryMs`. */
  | { readonly state: 'retrying'; readonly why: string; readonly retryMs: number };

export interface ChangeStreamHandlers {
  /** A change event: the collection's new sync token. */
  readonly onToken: (token: string) => void;
  readonly onStatus?: (status: StreamStatus) => void;
}

const MAX_BACKOFF_MS = 60_000;
/**
 * Answers that mean "no change stream here", not "try later" (a 403: a
 * server that lists no collection to a GET, as Apache without Indexes).
 */
const UNSUPPORTED = new Set([400, 403, 404, 405, 406, 415, 501]);

export class RemoteChangeStream {
  constructor(
    private readonly http: RemoteHttp,
    private readonly paths: RemotePaths,
  ) {}

  /**
   * Listens until `signal` aborts or the server turns out to have no
   * stream. Resolves `false` in the second case (the caller polls), `true`
   * when stopped.
   */
  async listen(handlers: ChangeStreamHandlers, signal: AbortSignal): Promise<boolean> {
    let backoffMs = 1000;
    while (!signal.aborted) {
      let why: string;
      let serverRetryMs = 0;
      try {
        const res = await this.http.send({ method: 'GET', url: `${this.paths.urlOf('', true)}?depth=infinity`, headers: { accept: 'text/event-stream', 'cache-control': 'no-store' }, signal });
        const type = res.headers.get('content-type') ?? '';
        if (res.status === 200 && /^text\/event-stream\b/i.test(type) && res.body !== null) {
          handlers.onStatus?.({ state: 'connected' });
          backoffMs = 1000;
          serverRetryMs = await readEvents(res.body, handlers.onToken);
          why = 'the server closed the change stream';
        } else {
          await res.body?.cancel().catch(() => undefined);
          if (res.status === 200 || UNSUPPORTED.has(res.status)) {
            handlers.onStatus?.({ state: 'unsupported', why: `GET with Accept: text/event-stream answered ${res.status}${res.status === 200 ? ` ${type || 'without a content type'}` : ''}` });
            return false;
          }
          const after = Number(res.headers.get('retry-after'));
          if (Number.isFinite(after) && after > 0) serverRetryMs = after * 1000;
          why = `the change stream was refused (${res.status})`;
        }
      } catch (err) {
        if (signal.aborted) break;
        // A 401 is not cured by waiting, but the passes report it; keep trying at the slowest pace.
        if (err instanceof RemoteError && err.kind === 'auth') backoffMs = MAX_BACKOFF_MS;
        why = err instanceof RemoteError ? err.message : `the change stream broke: ${(err as Error).message}`;
      }
      if (signal.aborted) break;
      const retryMs = Math.min(MAX_BACKOFF_MS, Math.max(backoffMs, serverRetryMs));
      handlers.onStatus?.({ state: 'retrying', why, retryMs });
      await sleep(retryMs, signal);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
    return true;
  }
}

/**
 * Reads server-sent events until the stream ends (the HTML standard's
 * format: fields up to a blank line; `:` lines are comments, the
 * heartbeats). Returns the last `retry:` the server asked for.
 */
async function readEvents(body: ReadableStream<Uint8Array>, onToken: (token: string) => void): Promise<number> {
  const decoder = new TextDecoder();
  let buffer = '';
  let retryMs = 0;
  let event = '';
  let data = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    // Bounded: a server that sends one endless line is cut off rather than held in memory.
    if (buffer.length > 1_000_000) throw new Error('an event longer than 1 MB');
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if ((event === '' || event === 'change') && data !== '') {
          const token = tokenOf(data);
          if (token !== undefined) onToken(token);
        }
        event = '';
        data = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data = data === '' ? value : `${data}\n${value}`;
      else if (field === 'retry' && /^[0-9]+$/.test(value)) retryMs = Number(value);
    }
  }
  return retryMs;
}

function tokenOf(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { token?: unknown };
    return typeof parsed.token === 'string' ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
