/**
 * Building and inspecting small trees through the adapter under test, so the
 * suites can state a whole tree in one literal and compare trees in one
 * assertion.
 */
import type { StorageAdapter } from '../adapter';
import type { ByteRange, Entry } from '../entry';
import { listInBatches } from '../listing';
import { childPath } from '../paths';
import { bodyOf, readAll } from './bodies';

/** Marks a collection in a {@link TreeSpec}. */
export const COLLECTION = Symbol('collection');

/** Members by path; a string value is a file's UTF-8 content. */
export type TreeSpec = Readonly<Record<string, string | typeof COLLECTION>>;

/** Creates the members of `spec` in order (parents before their members). */
export async function seed(adapter: StorageAdapter, spec: TreeSpec): Promise<void> {
  for (const [path, content] of Object.entries(spec)) {
    if (content === COLLECTION) await adapter.mkcol(path);
    else await adapter.write(path, bodyOf(content), { contentType: 'text/plain' });
  }
}

/**
 * Everything below the collection at `path`, keyed by path relative to it
 * (`'sub'`, `'sub/file.txt'`), in the shape of a {@link TreeSpec}.
 */
export async function snapshot(adapter: StorageAdapter, path: string): Promise<Record<string, string | typeof COLLECTION>> {
  const out: Record<string, string | typeof COLLECTION> = {};
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await listAll(adapter, dir)) {
      const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      const key = prefix + name;
      if (entry.collection) {
        out[key] = COLLECTION;
        await walk(childPath(dir, name), `${key}/`);
      } else {
        out[key] = await readText(adapter, entry.path);
      }
    }
  };
  await walk(path, '');
  return out;
}

/** Writes a UTF-8 text file and returns its entry. */
export function writeText(adapter: StorageAdapter, path: string, text: string, contentType = 'text/plain'): Promise<Entry> {
  return adapter.write(path, bodyOf(text), { contentType });
}

/** Reads a member (or a range of it) as UTF-8 text. */
export async function readText(adapter: StorageAdapter, path: string, range?: ByteRange): Promise<string> {
  return (await readAll(await adapter.read(path, range))).toString('utf8');
}

/** Collects a listing. `list` runs inside the promise, so an adapter that throws synchronously still rejects. */
export async function listAll(adapter: StorageAdapter, path: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const entry of adapter.list(path)) out.push(entry);
  return out;
}

/** Collects a listing made with `listInBatches`, checking that no batch is empty. */
export async function listAllInBatches(adapter: StorageAdapter, path: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const batch of listInBatches(adapter, path)) {
    if (batch.length === 0) throw new Error(`listInBatches(${path}) yielded an empty batch`);
    out.push(...batch);
  }
  return out;
}

/** The sorted paths of a listing. */
export async function listPaths(adapter: StorageAdapter, path: string): Promise<string[]> {
  return (await listAll(adapter, path)).map((e) => e.path).sort();
}
