/**
 * A request whose body is a stream (a PUT of a file, a PATCH of its
 * ranges), sent with `node:http`/`node:https` rather than `fetch`. Node
 * 20's `fetch` (undici 6) pulls a streamed request body as fast as it can
 * be read and holds what the socket has not taken yet: a 1 GiB PUT to a
 * server slower than the disk grew the client to over 1 GB. `pipeline`
 * into `http.request` waits for the socket instead, so memory stays flat
 * (docs/performance.md, "Delta transfer"). The answer is handed back as a
 * WHATWG `Response`, so callers treat both paths alike.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export async function sendStreamed(url: string, method: string, headers: Record<string, string>, body: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(target, { method, headers, ...(signal === undefined ? {} : { signal }) });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A server may answer before it has read the body (a 412, a 413) and close: the answer is what counts then, not the broken send.
  const sending = pipeline(Readable.from(body, { objectMode: false }), req).then(
    () => undefined,
    (err: unknown) => err,
  );
  let res: IncomingMessage;
  try {
    res = await answered;
  } catch (err) {
    throw (await sending) ?? err;
  }
  const status = res.statusCode ?? 0;
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) answerHeaders.append(name, one);
  }
  const empty = status === 204 || status === 304 || method === 'HEAD';
  if (empty) res.resume();
  const webBody = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
  return new Response(webBody, { status, statusText: res.statusMessage ?? '', headers: answerHeaders });
}
