/**
 * Reading a collection's members a batch at a time, whatever the adapter
 * offers. PROPFIND Depth 1 and a reconcile walk every member of a folder;
 * with one await per member, the awaits alone cost about as much as
 * writing a member's XML.
 */
import { addAbortSignal, Readable } from 'node:stream';
import type { ReadOptions, StorageAdapter } from './adapter';
import type { ByteStream } from './entry';
import type { Entry } from './entry';
import type { TreeReader } from './journal-changes';

/** Members per batch when the adapter only has `list`. */
const DEFAULT_BATCH = 64;

/**
 * The direct members of `path` in batches (never an empty one): the
 * adapter's own `listBatches` when it has one, otherwise `list` grouped
 * `size` at a time. Errors are those of `list`. With a `signal`, the
 * adapter is given it and the listing throws its reason before the next
 * batch once it aborts, whether the adapter honours it or not.
 *
 * @example for await (const batch of listInBatches(adapter, '/photos')) for (const e of batch) console.log(e.path);
 */
export async function* listInBatches(adapter: StorageAdapter, path: string, size = DEFAULT_BATCH, options: ReadOptions = {}): AsyncGenerator<readonly Entry[]> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const passed: ReadOptions | undefined =
    signal === undefined && options.checksums === undefined ? undefined : { ...(signal === undefined ? {} : { signal }), ...(options.checksums === undefined ? {} : { checksums: options.checksums }) };
  if (adapter.listBatches !== undefined) {
    for await (const batch of adapter.listBatches(path, passed)) {
      signal?.throwIfAborted();
      if (batch.length > 0) yield batch;
    }
    return;
  }
  let batch: Entry[] = [];
  for await (const entry of adapter.list(path, passed)) {
    batch.push(entry);
    if (batch.length >= size) {
      signal?.throwIfAborted();
      yield batch;
      batch = [];
    }
  }
  signal?.throwIfAborted();
  if (batch.length > 0) yield batch;
}

/**
 * `body` ended by `signal`: a Node stream is destroyed with an `AbortError`
 * (its `_destroy` releases what it holds: a file descriptor, a database
 * connection); any other iterable throws at its next chunk. Without a
 * signal, `body` itself.
 */
export function abortableBody(body: ByteStream, signal: AbortSignal | undefined): ByteStream {
  if (signal === undefined) return body;
  if (body instanceof Readable) return addAbortSignal(signal, body);
  return (async function* () {
    for await (const chunk of body) {
      signal.throwIfAborted();
      yield chunk;
    }
  })();
}

/** An adapter as the journal rule reads the tree (`journal-changes.ts`): `stat`, and listings in batches. */
export function adapterTree(adapter: StorageAdapter, options: ReadOptions = {}): TreeReader {
  return { stat: (path) => adapter.stat(path), list: (path) => listInBatches(adapter, path, DEFAULT_BATCH, options) };
}
