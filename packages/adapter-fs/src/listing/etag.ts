/**
 * Strong ETags from filesystem metadata, so they cost one `lstat`, survive
 * restarts unchanged, and never need the content to be read.
 *
 * - A file's tag is its inode, size and modification time in nanoseconds.
 *   davsync replaces content by renaming a new file into place, so every write
 *   brings a new inode and a new mtime; an edit in place by another program
 *   changes the mtime. Kernels stamp times from a coarse clock (a few ms), so
 *   two writes within one tick could otherwise meet the same mtime on a
 *   recycled inode: the atomic writer moves a new file's mtime past the one it
 *   replaces (`StagedFile.succeed`) so tags at one path never repeat. A
 *   client's modification time (`X-OC-Mtime`) overrides that; `stamp` adds
 *   a random sub-millisecond fraction to it, so a repeat then needs the
 *   same inode number, size, time and fraction.
 * - A collection's tag is its inode and birth time. Neither changes when
 *   members come and go (the journal reports those), so a busy collection is
 *   not reported as changed in its parent's delta on every member change; a
 *   collection removed and re-created gets a new tag. Where the filesystem
 *   has no birth time, the inode alone is used. Dead-property changes do not
 *   change a collection's tag: the engine records them as changes itself.
 */
import type { BigIntStats } from 'node:fs';

const b36 = (n: bigint): string => n.toString(36);

/** The tag of a regular file: `<ino>-<size>-<mtimeNs>`, each in base 36. */
export function fileEtag(stats: BigIntStats): string {
  return `${b36(stats.ino)}-${b36(stats.size)}-${b36(stats.mtimeNs)}`;
}

/** The tag of a directory: `c<ino>-<birthtimeNs>` (or `c<ino>` without a birth time), in base 36. */
export function collectionEtag(stats: BigIntStats): string {
  return stats.birthtimeNs > 0n ? `c${b36(stats.ino)}-${b36(stats.birthtimeNs)}` : `c${b36(stats.ino)}`;
}

/** The tag of whatever `stats` describe. */
export function etagFor(stats: BigIntStats): string {
  return stats.isDirectory() ? collectionEtag(stats) : fileEtag(stats);
}
