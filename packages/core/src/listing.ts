/**
 * Reading a collection's members a batch at a time, whatever the adapter
 * offers. PROPFIND Depth 1 and a reconcile walk every member of a folder;
 * with one await per member, the awaits alone cost about as much as
 * writing a member's XML.
 */
import type { StorageAdapter } from './adapter';
import type { Entry } from './entry';
import type { TreeReader } from './journal-changes';

/** Members per batch when the adapter only has `list`. */
const DEFAULT_BATCH = 64;

/**
 * The direct members of `path` in batches (never an empty one): the
 * adapter's own `listBatches` when it has one, otherwise `list` grouped
 * `size` at a time. Errors are those of `list`.
 *
 * @example for await (const batch of listInBatches(adapter, '/photos')) for (const e of batch) console.log(e.path);
 */
export async function* listInBatches(adapter: StorageAdapter, path: string, size = DEFAULT_BATCH): AsyncGenerator<readonly Entry[]> {
  if (adapter.listBatches !== undefined) {
    for await (const batch of adapter.listBatches(path)) if (batch.length > 0) yield batch;
    return;
  }
  let batch: Entry[] = [];
  for await (const entry of adapter.list(path)) {
    batch.push(entry);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** An adapter as the journal rule reads the tree (`journal-changes.ts`): `stat`, and listings in batches. */
export function adapterTree(adapter: StorageAdapter): TreeReader {
  return { stat: (path) => adapter.stat(path), list: (path) => listInBatches(adapter, path) };
}
