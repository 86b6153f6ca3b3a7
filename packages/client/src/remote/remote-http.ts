/**
 * One HTTP exchange with the server over the global `fetch` (undici):
 * credentials added, no answer turned into a one-line {@link RemoteError},
 * and a 401 explained. Everything else about the answer is the caller's.
 */
import { basicAuthorization } from '@davsync/protocol';
import { connectionError, RemoteError } from './remote-error';
import { sendStreamed } from './streamed-request';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface RequestSpec {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Ends the exchange (a long-lived change stream, when the client stops). */
  readonly signal?: AbortSignal;
}

export class RemoteHttp {
  constructor(private readonly credentials?: Credentials) {}

  async send(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = { ...spec.headers };
    if (this.credentials !== undefined) headers['authorization'] = basicAuthorization(this.credentials.user, this.credentials.password);
    let res: Response;
    try {
      if (isStream(spec.body)) {
        // A file's bytes: node:http, which waits for the socket (see streamed-request.ts).
        res = await sendStreamed(spec.url, spec.method, headers, spec.body, spec.signal);
      } else {
        const init = { method: spec.method, headers, body: spec.body as RequestInit['body'], ...(spec.signal === undefined ? {} : { signal: spec.signal }) } as RequestInit;
        res = await fetch(spec.url, init);
      }
    } catch (err) {
      throw connectionError(spec.url, err);
    }
    if (res.status === 401) {
      await res.body?.cancel();
      const hint = this.credentials === undefined ? 'give --user NAME:PASSWORD, or set DAVSYNC_USER and DAVSYNC_PASSWORD' : 'wrong user name or password';
      throw new RemoteError('auth', `${spec.method} ${spec.url}: 401 Unauthorized (${hint})`, 401);
    }
    return res;
  }
}

/** The error for an answer the caller did not expect, after draining its body. */
export async function unexpected(spec: Pick<RequestSpec, 'method' | 'url'>, res: Response, extra = ''): Promise<RemoteError> {
  const reason = res.headers.get('x-davsync-reason');
  await res.body?.cancel().catch(() => undefined);
  const kind = res.status === 412 ? 'precondition' : res.status === 404 ? 'not-found' : 'status';
  const why = [reason?.replace(/^davsync: /, ''), extra].filter(Boolean).join('; ');
  return new RemoteError(kind, `${spec.method} ${spec.url}: ${res.status} ${res.statusText}${why ? ` (${why})` : ''}`.trimEnd(), res.status);
}

function isStream(body: RequestSpec['body']): body is AsyncIterable<Uint8Array> {
  return body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
}
