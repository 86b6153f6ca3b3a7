/**
 * A client that closes its connection before its request has arrived
 * (a cancelled upload, a closed browser tab) is not a server error: nobody
 * is left to answer, nothing was stored (the write fails and its temporary
 * data is dropped), and there is no bug to report. Node reports it as a
 * plain `Error('aborted')` from the request stream, which would otherwise
 * reach `onError` as "unexpected" and be answered as a 500.
 */

/** Reading the request body failed because the connection closed first. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor(cause: unknown) {
    super('davsync: the client closed the connection before sending the whole request', { cause });
  }
}

/**
 * The status given to a request whose client went away: nginx's 499
 * "client closed request". It is never sent (there is no one to send it
 * to), but a host's access log or metrics that read `res.statusCode` see
 * it, rather than a 500 that would count as a server failure.
 */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * The body of `req`, where a read that fails because the connection closed
 * before the request was complete throws {@link ClientClosedError}.
 * `complete()` tells whether the whole request had arrived: any read error
 * before that comes from the socket, i.e. from the client's side.
 */
export function failingAsClientClosed(body: AsyncIterable<Uint8Array>, complete: () => boolean): AsyncIterable<Uint8Array> {
  // A plain iterator, not an async generator: it is on every request's body.
  return {
    [Symbol.asyncIterator]() {
      const source = body[Symbol.asyncIterator]();
      const failed = (err: unknown): never => {
        throw complete() ? err : new ClientClosedError(err);
      };
      return {
        next: () => source.next().catch(failed),
        return: () => (source.return === undefined ? Promise.resolve({ done: true, value: undefined }) : source.return().catch(failed)),
      };
    },
  };
}
