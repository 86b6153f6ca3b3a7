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
  /** Say how many batches of the session were read (the main thread reuses them then). */
  readonly ack?: boolean;
  readonly end?: boolean;
  readonly abort?: boolean;
}

interface Session {
  readonly hashes: HashSet;
  /** Batches read so far. */
  read: number;
}

const sessions = new Map<number, Session>();
const port = parentPort;
if (port === null) throw new Error('davsync: checksum-worker runs as a worker thread');

port.on('message', (m: Request) => {
  if (m.abort === true) {
    sessions.delete(m.id);
    return;
  }
  let session = sessions.get(m.id);
  if (session === undefined) {
    session = { hashes: new HashSet(m.algorithms ?? []), read: 0 };
    sessions.set(m.id, session);
  }
  if (m.data !== undefined) {
    session.hashes.update(new Uint8Array(m.data, m.offset ?? 0, m.length ?? m.data.byteLength));
    session.read++;
  }
  if (m.end === true) {
    // Every batch is read: the digests release them all.
    sessions.delete(m.id);
    port.postMessage({ id: m.id, read: session.read, digests: session.hashes.digests() });
  } else if (m.ack === true) {
    // Read up to here: the main thread may reuse these batches.
    port.postMessage({ id: m.id, read: session.read });
  }
});
