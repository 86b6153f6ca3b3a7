/**
 * The hashing thread's side (see `hashing-thread.ts`): one set of hashes per
 * session, updated with each batch the main thread posts (shared memory), digested on
 * `end`. Loads nothing but node:crypto (through `hash-set.ts`), so the
 * thread starts fast.
 */
import { parentPort } from 'node:worker_threads';
import { HashSet } from './hash-set';

/** A message from the main thread. */
interface Request {
  readonly id: number;
  /** First message of a session: the algorithms (Node's names). */
  readonly algorithms?: readonly string[];
  /** A batch of bytes, shared memory: `length` of them from `offset` in `data`. */
  readonly data?: SharedArrayBuffer;
  readonly offset?: number;
  readonly length?: number;
  readonly end?: boolean;
  readonly abort?: boolean;
}

const sessions = new Map<number, HashSet>();
const port = parentPort;
if (port === null) throw new Error('davsync: checksum-worker runs as a worker thread');

port.on('message', (m: Request) => {
  if (m.abort === true) {
    sessions.delete(m.id);
    return;
  }
  let hashes = sessions.get(m.id);
  if (hashes === undefined) {
    hashes = new HashSet(m.algorithms ?? []);
    sessions.set(m.id, hashes);
  }
  if (m.data !== undefined) {
    hashes.update(new Uint8Array(m.data, m.offset ?? 0, m.length ?? m.data.byteLength));
    // Read: the main thread may reuse the batch.
    port.postMessage({ id: m.id, ack: true });
  }
  if (m.end === true) {
    sessions.delete(m.id);
    port.postMessage({ id: m.id, digests: hashes.digests() });
  }
});
