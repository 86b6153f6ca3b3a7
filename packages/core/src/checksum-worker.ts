/**
 * The hashing thread's side (see `hashing-thread.ts`): one set of hashes per
 * session, updated with each batch the main thread transfers, digested on
 * `end`. Loads nothing but node:crypto (and `block-hashes.ts`, which loads only
 * that), so the thread starts fast.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { BlockHasher, BLOCKS_ALGORITHM, type StreamHasher } from './block-hashes';

type Hasher = StreamHasher;

/** A message from the main thread. */
interface Request {
  readonly id: number;
  /** First message of a session: the algorithms (Node's names). */
  readonly algorithms?: readonly string[];
  /** A batch of bytes, `length` of them at the start of `data`. */
  readonly data?: ArrayBuffer;
  readonly length?: number;
  readonly end?: boolean;
  readonly abort?: boolean;
}

const sessions = new Map<number, Array<readonly [string, Hasher]>>();
const port = parentPort;
if (port === null) throw new Error('davsync: checksum-worker runs as a worker thread');

port.on('message', (m: Request) => {
  if (m.abort === true) {
    sessions.delete(m.id);
    return;
  }
  let hashes = sessions.get(m.id);
  if (hashes === undefined) {
    hashes = (m.algorithms ?? []).map((a) => [a, a === BLOCKS_ALGORITHM ? new BlockHasher() : createHash(a)] as readonly [string, Hasher]);
    sessions.set(m.id, hashes);
  }
  if (m.data !== undefined) {
    const bytes = new Uint8Array(m.data, 0, m.length ?? m.data.byteLength);
    for (const [, hash] of hashes) hash.update(bytes);
    // The memory goes back for the next batch.
    port.postMessage({ id: m.id, ack: true, data: m.data }, [m.data]);
  }
  if (m.end === true) {
    sessions.delete(m.id);
    port.postMessage({ id: m.id, digests: Object.fromEntries(hashes.map(([a, hash]) => [a, hash.digest('hex')])) });
  }
});
