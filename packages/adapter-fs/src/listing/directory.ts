/**
 * Reading a directory the way `list` shows it: streamed with `opendir`, each
 * entry `lstat`ed, and only regular files and directories that the path
 * guard would let a client address (no symlinks, sockets, FIFOs, devices,
 * mount points, state directory, or names the OS could not be asked for).
 */
import { lstatSync, promises as fsp, type Dir } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../paths/fs-errors';
import type { ListingThread } from './listing-thread';
import { factsOf, type MemberFacts } from './member-facts';
import { listableName, listedKind, type ListingRules, type SafePaths } from '../paths/safe-path';

/** A visible member of a directory. */
export interface DirectoryMember {
  readonly name: string;
  readonly real: string;
  readonly kind: 'file' | 'collection';
  /** What its entry needs of its `lstat`. */
  readonly facts: MemberFacts;
}

/**
 * How many members are `lstat`ed in one go, synchronously: a batch holds the
 * event loop for ~0.2 ms, and the listing stays streamed between batches.
 */
const BATCH = 64;

/**
 * The visible members of the directory at `real`, streamed, in directory
 * order. Members removed while the listing runs are skipped. `atRoot` hides
 * the state directory. Names are `lstat`ed a batch at a time, synchronously:
 * one at a time through the thread pool, a large folder's listing was mostly
 * thread hand-offs (10 000 files: ~0.5 s of a PROPFIND Depth 1; 64 at a time
 * concurrently, ~0.2 s; see docs/performance.md).
 */
export async function* readMembers(real: string, guard: SafePaths, atRoot: boolean): AsyncGenerator<DirectoryMember> {
  for await (const batch of readMemberBatches(real, guard, atRoot)) yield* batch;
}

/**
 * {@link readMembers} a batch at a time: one await per batch instead of
 * several per member, which is most of the cost of listing a large folder
 * once the system calls themselves are cheap. With a `thread`, a folder
 * larger than one batch is read on it from the second batch on, while the
 * caller works through the first (see `listing-thread.ts`).
 */
export async function* readMemberBatches(real: string, guard: SafePaths, atRoot: boolean, thread?: ListingThread): AsyncGenerator<DirectoryMember[]> {
  const rules = guard.listingRules;
  const dir = await fsp.opendir(real, { bufferSize: 128 });
  let open = true;
  const close = () => {
    if (open) dir.closeSync();
    open = false;
  };
  try {
    const seen = new Set<string>();
    for (let done = false, first = true; !done; first = false) {
      const read = readNames(dir, BATCH, atRoot, rules, seen);
      done = read.done;
      if (first && !done && thread?.available) {
        // A large folder: the thread reads it again from the start, leaving
        // out the names of this first batch, which are listed here meanwhile.
        close();
        yield* handOver(real, atRoot, rules, thread, read.names);
        return;
      }
      const members = statMembers(real, read.names, rules);
      if (members.length > 0) yield members;
    }
  } finally {
    close();
  }
}

async function* handOver(real: string, atRoot: boolean, rules: ListingRules, thread: ListingThread, firstNames: string[]): AsyncGenerator<DirectoryMember[]> {
  const rest = thread.list(real, atRoot, rules, firstNames);
  try {
    const members = statMembers(real, firstNames, rules);
    if (members.length > 0) yield members;
    yield* rest.batches;
  } finally {
    rest.cancel();
  }
}

/**
 * Up to `max` listable names from `dir`, synchronously (the entries come
 * from Dir's buffer, refilled 128 at a time), and whether the directory
 * ended. Names in `seen` are skipped. A name that is not valid UTF-8
 * decodes with U+FFFD and then names no file (its lstat fails), unless a
 * file with the decoded name exists too: such names go into `seen`, so
 * they are listed once. Used here and on the listing thread.
 */
export function readNames(dir: Dir, max: number, atRoot: boolean, rules: ListingRules, seen: Set<string>): { names: string[]; done: boolean } {
  const names: string[] = [];
  while (names.length < max) {
    const dirent = dir.readSync();
    if (dirent === null) return { names, done: true };
    const name = dirent.name;
    if (!listableName(name, atRoot, rules) || seen.has(name)) continue;
    if (name.includes('\uFFFD')) seen.add(name);
    names.push(name);
  }
  return { names, done: false };
}

/**
 * The visible members among `names` in the directory at `real`, each
 * `lstat`ed synchronously (see the note on BATCH): ~3 µs per lstat of a
 * cached inode against ~19 µs of CPU through the thread pool. Names removed
 * meanwhile are skipped. Used here and on the listing thread.
 */
export function statMembers(real: string, names: readonly string[], rules: ListingRules): DirectoryMember[] {
  const out: DirectoryMember[] = [];
  for (const name of names) {
    const memberReal = join(real, name);
    let stats;
    try {
      stats = lstatSync(memberReal, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if (errorCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    if (stats === undefined) continue;
    const kind = listedKind(stats, rules);
    if (kind !== undefined) out.push({ name, real: memberReal, kind, facts: factsOf(kind, stats) });
  }
  return out;
}
