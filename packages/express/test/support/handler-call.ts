/**
 * Calling the framework-neutral handler directly (no socket), for the
 * lock tests: one request in, the status, headers and whole body out.
 */
import { Readable } from 'node:stream';
import type { DavHandler, DavRequest } from '@davsync/express';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** Calls `h` with a request; `user` is the authenticated user the middleware's `user` option would have found. */
export async function call(h: DavHandler, method: string, url: string, headers: Record<string, string> = {}, body?: string, user?: string): Promise<Reply> {
  const req: DavRequest = {
    method,
    url,
    base: '',
    headers,
    body: Readable.from(body === undefined ? [] : [Buffer.from(body)]),
    ...(user === undefined ? {} : { user }),
  };
  const res = await h(req);
  let text = '';
  if (typeof res.body === 'string') text = res.body;
  else if (res.body instanceof Uint8Array) text = Buffer.from(res.body).toString('utf8');
  else if (res.body !== undefined) for await (const c of res.body) text += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
  return { status: res.status, headers: res.headers, text };
}

/** A `DAV:lockinfo` body asking for a write lock of `scope`. */
export const lockinfo = (scope: 'exclusive' | 'shared', owner = '<D:owner><D:href>mailto:ann@example.com</D:href></D:owner>'): string =>
  `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>${owner}</D:lockinfo>`;

/** The token of a LOCK answer's `Lock-Token` header, or `undefined`. */
export const lockTokenOf = (reply: Reply): string | undefined => /^<(urn:uuid:[0-9a-f-]{36})>$/.exec(reply.headers['lock-token'] ?? '')?.[1];
