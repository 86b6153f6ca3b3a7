/**
 * Durable, all-or-nothing file writes: the body streams into a temporary
 * file in the state directory's `tmp/` (on the root's filesystem, so the
 * final rename is atomic), which is fsynced, renamed over the target, and
 * made durable by fsyncing the target's directory. Readers see the old file
 * or the new one, never a mix; a failed body or a full disk leaves the old
 * content and no temporary file.
 *
 * Memory stays flat whatever the size: each chunk is written before the next
 * one is pulled from the body, which is the backpressure.
 *
 * Only the calls that wait for the disk — writing content and fsync — go
 * through libuv's thread pool. Opening, closing, `fstat`, `rename` and the
 * like are metadata calls that take microseconds on a local filesystem, and
 * a thread-pool round trip costs several times that in CPU and context
 * switches, on every PUT; they are made synchronously. (The state database
 * needs a local filesystem anyway: SQLite's WAL mode does not work over a
 * network one.)
 */
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, futimesSync, openSync, promises as fsp, renameSync, write, fsync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { adoptionOf, type AdoptableFile, type ByteStream } from '@davsync/core';
import { errorCode } from '../paths/fs-errors';

/** A body written to a temporary file, waiting to be published or discarded. */
export interface StagedFile {
  /** Where the content waits. */
  readonly tempPath: string;
  /** Metadata of the staged file; inode, size and mtime survive the rename. */
  readonly stats: BigIntStats;
  /**
   * Makes the staged file a proper successor of the file it will replace:
   * the same permission bits (a private file stays private when a client
   * updates it) and a later mtime, so ETags at one path never repeat (see
   * `etag.ts`). Owner and group stay the server's.
   */
  succeed(previous: BigIntStats): Promise<void>;
  /**
   * Gives the file a client's modification time (after `succeed`, which it
   * overrides), to the millisecond. Below the millisecond it adds a random
   * fraction (under half a millisecond, so the time reads back exact): a
   * client may send the same time with new content of the same size, and
   * on a reused inode number the ETag (inode, size, mtime) would otherwise
   * repeat a tag this path had before.
   */
  stamp(modified: Date): Promise<void>;
  /** Renames the file to `target` and fsyncs the target's directory; returns its metadata. */
  publish(target: string): Promise<BigIntStats>;
  /**
   * Renames the file to `target` only; the caller makes the rename durable
   * by fsyncing `target`'s directory (`DirectorySyncer`) before it reports
   * success. Returns its metadata.
   */
  rename(target: string): Promise<BigIntStats>;
  /** Removes the temporary file unless it was published. Never throws. */
  discard(): Promise<void>;
}

/** The sub-millisecond fractions `stamp` adds, in turn: 0–389, from a random start. */
let fractionTurn = randomInt(390);
function nextFraction(): number {
  fractionTurn = (fractionTurn + 1) % 390;
  return fractionTurn;
}

/** A fresh, unguessable name in `tmpDir`; `kind` shows in it, for whoever looks into the directory. */
export function tempPathIn(tmpDir: string, kind: string): string {
  return join(tmpDir, `${kind}-${randomBytes(12).toString('hex')}`);
}

/**
 * Streams `body` into a new temporary file in `tmpDir` and fsyncs it. On any
 * failure (the body throws or is aborted, the disk fills) the temporary file
 * is removed and the error rethrown unchanged.
 */
export async function stageBody(body: ByteStream, tmpDir: string): Promise<StagedFile> {
  // A completed upload's file is renamed here rather than copied (adoptable-body.ts).
  const offer = adoptionOf(body);
  const adopted = offer === undefined ? undefined : await offer.adopt(tmpDir);
  if (offer !== undefined && adopted !== undefined) return await stageAdopted(body, offer, adopted);
  const tempPath = tempPathIn(tmpDir, 'put');
  const fd = openSync(tempPath, 'wx');
  try {
    for await (const chunk of body) await writeFully(fd, chunk);
    await fsyncAsync(fd);
    return new Staged(tempPath, fd, fstatSync(fd, { bigint: true }));
  } catch (err) {
    closeSync(fd);
    await fsp.rm(tempPath, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Stages an adopted file (already in `tmpDir`) as `stageBody` stages a
 * written one. The body is still read to its end when it is a wrapper
 * (hashing: checksums and block hashes are of exactly these bytes); the
 * bare upload stream yields nothing new and is left unread. A fresh file
 * gets the mode a written one would (the upload's file is private).
 */
async function stageAdopted(body: ByteStream, offer: AdoptableFile, tempPath: string): Promise<StagedFile> {
  try {
    if (body !== offer.origin) for await (const _ of body);
    const fd = openSync(tempPath, 'r+');
    try {
      fchmodSync(fd, 0o666 & ~process.umask());
      await fsyncAsync(fd);
      const stats = fstatSync(fd, { bigint: true });
      if (stats.size !== BigInt(offer.size)) throw new Error(`davsync: an adopted upload holds ${stats.size} bytes, not ${offer.size}`);
      return new Staged(tempPath, fd, stats);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  } catch (err) {
    await fsp.rm(tempPath, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes `body` to `target` atomically and durably (stage, fsync, rename,
 * fsync the directory). The caller makes sure `target`'s directory exists and
 * that `tmpDir` is on the same filesystem.
 */
export async function writeAtomically(body: ByteStream, target: string, tmpDir: string): Promise<BigIntStats> {
  const staged = await stageBody(body, tmpDir);
  try {
    return await staged.publish(target);
  } finally {
    await staged.discard();
  }
}

/**
 * Makes the entries of a directory durable (a rename, create or unlink in
 * it) by fsyncing the directory itself, as POSIX requires.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals its metadata.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } catch (err) {
    // Some filesystems (several network ones) do not support fsync on a directory.
    if (errorCode(err) !== 'EINVAL' && errorCode(err) !== 'ENOTSUP') throw err;
  } finally {
    closeSync(fd);
  }
}

// Looked up on the module at each call (not bound once), so a test can
// make them fail like a full disk.
const fsyncAsync = (fd: number): Promise<void> => promisify(fsync)(fd);
const writeAsync = (fd: number, chunk: Uint8Array, at: number): Promise<number> =>
  new Promise((resolve, reject) => write(fd, chunk, at, chunk.byteLength - at, null, (err, n) => (err ? reject(err) : resolve(n))));

/** Writes the whole chunk: a write may take fewer bytes than offered. */
async function writeFully(fd: number, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.byteLength; ) at += await writeAsync(fd, chunk, at);
}

// Steps to move an mtime past another. Most filesystems keep nanoseconds (one
// microsecond suffices, given that `utimes` takes seconds as a double); some
// keep milliseconds, seconds (ext3, HFS+) or two seconds (FAT).
const MTIME_STEPS_NS = [1_000n, 1_000_000n, 1_000_000_000n, 2_000_000_000n];

class Staged implements StagedFile {
  #fd: number | undefined;
  #stats: BigIntStats;
  #published = false;

  constructor(
    readonly tempPath: string,
    fd: number,
    stats: BigIntStats,
  ) {
    this.#fd = fd;
    this.#stats = stats;
  }

  get stats(): BigIntStats {
    return this.#stats;
  }

  async succeed(previous: BigIntStats): Promise<void> {
    const fd = this.#open();
    const mode = previous.mode & 0o7777n;
    if ((this.#stats.mode & 0o7777n) !== mode) {
      fchmodSync(fd, Number(mode));
      await this.#resync(fd);
    }
    for (const step of MTIME_STEPS_NS) {
      if (this.#stats.mtimeNs > previous.mtimeNs) return;
      const ns = previous.mtimeNs + step;
      const seconds = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
      futimesSync(fd, this.#stats.atime, seconds);
      await this.#resync(fd);
    }
  }

  async stamp(modified: Date): Promise<void> {
    const fd = this.#open();
    // 10–400 µs: a double holds a 2020s time to about 0.3 µs, so these are
    // 390 distinct values, all rounding back to the given ms. Taken in turn
    // (from a random start per process), not at random: 30 writes at random
    // would meet an earlier fraction on a recycled inode almost half the time.
    const fraction = (10 + nextFraction()) / 1e6;
    futimesSync(fd, this.#stats.atime, modified.getTime() / 1000 + fraction);
    await this.#resync(fd);
  }

  /** Makes a metadata change durable with the content, and re-reads the metadata. */
  async #resync(fd: number): Promise<void> {
    await fsyncAsync(fd);
    this.#stats = fstatSync(fd, { bigint: true });
  }

  async publish(target: string): Promise<BigIntStats> {
    const stats = await this.rename(target);
    await fsyncDirectory(dirname(target));
    return stats;
  }

  async rename(target: string): Promise<BigIntStats> {
    const fd = this.#open();
    this.#fd = undefined;
    closeSync(fd);
    renameSync(this.tempPath, target);
    this.#published = true;
    return this.#stats;
  }

  async discard(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Nothing useful to do: the file is removed next.
      }
    }
    if (!this.#published) await fsp.rm(this.tempPath, { force: true }).catch(() => undefined);
  }

  #open(): number {
    if (this.#fd === undefined) throw new Error('davsync: the staged file was already published or discarded');
    return this.#fd;
  }
}
