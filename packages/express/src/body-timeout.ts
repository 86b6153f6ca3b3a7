/**
 * A request body that gives up when the client stops sending: a slow or
 * stalled upload must not hold a write (a temporary file, a lock on the
 * path, a database transaction) open for ever. The error makes the write
 * fail, so nothing is stored, and becomes a 408 with the connection closed.
 *
 * It yields every byte or fails, so a completed upload's offer to be
 * adopted by the store (`adoptable-body.ts`) passes through it.
 */
import { DavError, passAdoption } from '@davsync/core';

export function withIdleTimeout(body: AsyncIterable<Uint8Array>, idleMs: number): AsyncIterable<Uint8Array> {
  return passAdoption(body, { [Symbol.asyncIterator]: () => new IdleTimeoutReader(body[Symbol.asyncIterator](), idleMs) });
}

/**
 * One read at a time, each raced against a timer. A plain iterator rather
 * than an async generator: every request body passes through here, and a
 * generator's state machine, `yield` and `Promise.race` cost more per
 * chunk than the rest of a small REPORT's body handling.
 */
class IdleTimeoutReader implements AsyncIterator<Uint8Array> {
  private finished = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly idleMs: number,
  ) {}

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    const pending = this.source.next();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // This read may still fail later: nobody awaits it then.
        pending.catch(() => undefined);
        this.stop();
        reject(new DavError('request-timeout', `davsync: no request body bytes for ${this.idleMs} ms`));
      }, this.idleMs);
      pending.then(
        (result) => {
          clearTimeout(timer);
          if (result.done === true) this.finished = true;
          resolve(result);
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.stop();
          reject(err);
        },
      );
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.stop();
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * Stops the source when the reader stops early or fails, but never waits
   * on it: after a timeout its pending read may never settle.
   */
  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    void Promise.resolve(this.source.return?.()).catch(() => undefined);
  }
}
