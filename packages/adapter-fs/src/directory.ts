/**
 * Reading a directory the way `list` shows it: streamed with `opendir`, each
 * entry `lstat`ed, and only regular files and directories that the path
 * guard would let a client address (no symlinks, sockets, FIFOs, devices,
 * mount points, state directory, or names the OS could not be asked for).
 */
import { lstatSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from './fs-errors';
import type { ListingThread } from './listing-thread';
import { factsOf, type MemberFacts } from './member-facts';
import type { SafePaths } from './safe-path';

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
  const dir = await fsp.opendir(real, { bufferSize: 128 });
  let open = true;
  const close = () => {
    if (open) dir.closeSync();
    open = false;
  };
  try {
    // A name that is not valid UTF-8 decodes with U+FFFD and then names no file
    // (its lstat fails), unless a file with the decoded name exists too: list
    // such names once.
    const replaced = new Set<string>();
    for (let done = false, first = true; !done; first = false) {
      const names: string[] = [];
      while (names.length < BATCH) {
        // Synchronous like the lstats: the entries come from Dir's buffer, refilled 128 at a time.
        const dirent = dir.readSync();
        if (dirent === null) {
          done = true;
          break;
        }
        const name = dirent.name;
        if (!guard.isListableName(name, atRoot)) continue;
        if (name.includes('\uFFFD')) {
          if (replaced.has(name)) continue;
          replaced.add(name);
        }
        names.push(name);
      }
      if (first && !done && thread?.available) {
        // A large folder: the thread reads it again from the start, leaving
        // out the names of this first batch, which are listed here meanwhile.
        close();
        yield* handOver(real, guard, atRoot, thread, names);
        return;
      }
      const members = statBatch(real, names, guard);
      if (members.length > 0) yield members;
    }
  } finally {
    close();
  }
}

async function* handOver(real: string, guard: SafePaths, atRoot: boolean, thread: ListingThread, firstNames: string[]): AsyncGenerator<DirectoryMember[]> {
  const rest = thread.list(real, atRoot, guard.listingRules, firstNames);
  try {
    const members = statBatch(real, firstNames, guard);
    if (members.length > 0) yield members;
    yield* rest.batches;
  } finally {
    rest.cancel();
  }
}

function statBatch(real: string, names: readonly string[], guard: SafePaths): DirectoryMember[] {
  // Synchronous, a batch at a time (see the note on BATCH): ~3 µs per lstat
  // of a cached inode against ~19 µs of CPU through the thread pool.
  const out: DirectoryMember[] = [];
  for (const name of names) {
    let stats;
    try {
      stats = lstatSync(join(real, name), { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if (errorCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    if (stats === undefined) continue;
    const kind = guard.visibleKind(stats);
    if (kind !== undefined) out.push({ name, real: join(real, name), kind, facts: factsOf(kind, stats) });
  }
  return out;
}
