/**
 * A request whose body is a stream (a PUT of a file, a PATCH of its
 * ranges), sent with `node:http`/`node:https` rather than `fetch`. Node
 * 20's `fetch` (undici 6) pulls a streamed request body as fast as it can
 * be read and holds what the socket has not taken yet: a 1 GiB PUT to a
 * server slower than the disk grew the client to over 1 GB. Here each chunk
 * is written and the next asked for only once the socket has taken it (the
 * write's callback), so at most one chunk is held, however slow the server
 * (docs/performance.md, "Delta transfer") — and a body may hand out the
 * same buffer every time (`local/reused-reads.ts`), leaving the garbage
 * collector nothing to fall behind on ("Client peak memory under load"). The answer is
 * handed back as a WHATWG `Response`, so callers treat both paths alike.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

export async function sendStreamed(url: string, method: string, headers: Record<string, string>, body: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(target, { method, headers, ...(signal === undefined ? {} : { signal }) });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A server may answer before it has read the body (a 412, a 413) and close: the answer is what counts then, not the broken send.
  const sending = writeBody(req, body).then(
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

/**
 * Each chunk of `body` written, and the socket's callback awaited before the
 * next is asked for (a chunk is valid only until then); then the request
 * ended. A request that fails or closes first ends the wait: a write
 * callback is not promised once the request is destroyed.
 */
async function writeBody(req: ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  const broken = new Promise<never>((_, reject) => {
    req.once('error', reject);
    req.once('close', () => reject(new Error('the request closed before its body was sent')));
  });
  broken.catch(() => undefined); // only ever raced
  const written = (send: (done: (err?: Error | null) => void) => void) => Promise.race([new Promise<void>((resolve, reject) => send((err) => (err ? reject(err) : resolve()))), broken]);
  try {
    for await (const chunk of body) await written((done) => req.write(chunk, done));
    await written((done) => req.end(() => done()));
  } catch (err) {
    req.destroy(err as Error);
    throw err;
  }
}
