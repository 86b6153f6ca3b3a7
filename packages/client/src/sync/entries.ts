/**
 * The three trees a pass compares, per path: what the local folder holds
 * now, what the server holds now, and what both held when this path was
 * last in sync. "Changed" always means "differs from the synced entry":
 * the planner never compares the two live sides with each other.
 */
import type { EntryKind } from '../remote/remote-entry';

export type { EntryKind } from '../remote/remote-entry';

/**
 * A local file or folder, as `lstat` sees it. size + mtime (ns) + inode is
 * the file's identity: while all three are unchanged the content is taken
 * as unchanged and the file is never read (an editor that saves in place
 * changes the mtime; one that saves by rename changes the inode).
 */
export interface LocalEntry {
  readonly path: string;
  readonly kind: EntryKind;
  readonly size?: number;
  /** Modification time in nanoseconds, as a decimal string (a bigint does not fit a double). */
  readonly mtimeNs?: string;
  readonly ino?: string;
  /** The content's SHA-1, only where the pass hashed the file: a synced identity too recent to trust (see `isRacy`). */
  readonly sha1?: string;
}

/** A path as it was when last in sync: the remote ETag and file ID, and the local identity. */
export interface SyncedEntry {
  readonly path: string;
  readonly kind: EntryKind;
  readonly etag?: string;
  readonly fileId?: string;
  readonly size?: number;
  readonly mtimeNs?: string;
  readonly ino?: string;
  /** The content's SHA-1, kept only while the identity is racy (`isRacy`): the next pass compares by it. */
  readonly sha1?: string;
}

/**
 * How close to the moment it was recorded a modification time must be for
 * the identity not to be trusted: file systems keep times in ticks (2 s on
 * FAT, 1 s on some network mounts, a kernel tick even on ext4), so an edit
 * of the same size made in the tick the identity was taken in can leave
 * size, mtime and inode all unchanged.
 */
export const RACY_NS = 2_000_000_000n;

/**
 * Whether an identity recorded at `recordedNs` (Unix ns) cannot be trusted
 * to reveal a later edit (git's "racily clean"): its mtime is within
 * `RACY_NS` of the recording, or after it. Such an entry is recorded with
 * its SHA-1, and the next pass hashes the file to compare.
 */
export function isRacy(entry: { kind: EntryKind; mtimeNs?: string }, recordedNs: bigint): boolean {
  return entry.kind === 'file' && entry.mtimeNs !== undefined && BigInt(entry.mtimeNs) >= recordedNs - RACY_NS;
}

/** The wall clock in Unix nanoseconds (the same clock file times are stamped with, on this machine). */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Whether the local side differs from the synced state (a folder changes only by appearing, vanishing or changing kind). */
export function localChanged(synced: SyncedEntry | undefined, local: LocalEntry | undefined): boolean {
  if (synced === undefined || local === undefined) return synced !== local;
  if (synced.kind !== local.kind) return true;
  if (local.kind === 'dir') return false;
  if (synced.size !== local.size || synced.mtimeNs !== local.mtimeNs || synced.ino !== local.ino) return true;
  // The identity is the same, but it was too recent to trust: the content decides, when the pass hashed it.
  return synced.sha1 !== undefined && local.sha1 !== undefined && synced.sha1 !== local.sha1;
}

/** Whether the remote side differs from the synced state: for a file, by its ETag. */
export function remoteChanged(synced: SyncedEntry | undefined, remote: { kind: EntryKind; etag?: string } | undefined): boolean {
  if (synced === undefined || remote === undefined) return synced !== remote;
  if (synced.kind !== remote.kind) return true;
  if (remote.kind === 'dir') return false;
  // No ETag on either side (a server that gives none): nothing to compare, so not provably changed.
  return synced.etag !== undefined && remote.etag !== undefined ? synced.etag !== remote.etag : false;
}

/** Whether `path` is `dir` or below it (`''` is the root, above everything). */
export function within(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/** `a/b/c` → `a/b`; `a` → `''`. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function depthOf(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}
