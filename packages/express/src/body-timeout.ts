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
  return passAdoption(body, {
    async *[Symbol.asyncIterator]() {
      const iterator = body[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          const next = iterator.next();
          // If the timer wins, this read may still fail later: nobody awaits it then.
          next.catch(() => undefined);
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new DavError('request-timeout', `davsync: no request body bytes for ${idleMs} ms`)), idleMs);
          });
          let result: IteratorResult<Uint8Array>;
          try {
            result = await Promise.race([next, timeout]);
          } finally {
            clearTimeout(timer);
          }
          if (result.done === true) {
            finished = true;
            return;
          }
          yield result.value;
        }
      } finally {
        // Stop the source when the reader stops early, but never wait on it:
        // after a timeout its pending read may never settle.
        if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
      }
    },
  });
}
