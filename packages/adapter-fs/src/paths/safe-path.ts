/**
 * Member paths to real paths under the root, refusing everything that could
 * reach outside it or into davsync's own state.
 *
 * Rules, in the order they are checked:
 *
 * 1. **Lexical.** The path is normalised again (`normalizePath`: absolute, no
 *    `.`/`..`, no NUL), every name must be one the OS can hold
 *    ({@link nameProblem}: at most 255 UTF-8 bytes; on Windows no `\ : * ? " < > |`,
 *    control characters, trailing dot or space, or device names) and the
 *    real path must fit the OS limit; otherwise `bad-request`, since the
 *    client can fix it by choosing another name. A name that folds to the
 *    state directory's (case-insensitively) is `forbidden`.
 * 2. **Symbolic links are never followed.** Every existing component below
 *    the root is `lstat`ed, root first; a symlink anywhere — to a file or a
 *    directory, pointing inside the root or out — makes the path `forbidden`,
 *    and `list` does not show symlinks. Walking with `lstat` (rather than
 *    `realpath` and a containment check) sees each component as it is, needs
 *    no case or Unicode comparison of two spellings of a path, and stops at
 *    the first missing component, which is also what tells a missing parent
 *    (`conflict`) from a missing member. The same walk refuses the state
 *    directory under any alias (it compares device and inode, which also
 *    catches a case-insensitive or Unicode-folding filesystem's other
 *    spellings), other filesystems mounted inside the root (another device),
 *    and sockets, FIFOs and devices (`forbidden`: opening a FIFO would hang).
 *
 * The check and the later use are separate system calls, so a local user who
 * can write inside the root could swap a directory for a symlink in between.
 * Node has no `openat`/`O_BENEATH` to close that window; reads open the final
 * component with `O_NOFOLLOW`, and WebDAV clients cannot create symlinks, so
 * the window is open only to local users racing the server.
 *
 * Names are kept byte-exact as the client sent them (after percent-decoding):
 * no NFC/NFD folding and no case folding, so two names that differ only in
 * normalisation or case are two members wherever the filesystem keeps them
 * apart (Linux filesystems do; macOS and Windows fold case, and HFS+
 * decomposes, so there such names alias one file).
 */
import { constants as fsConstants, lstatSync, promises as fsp, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import { ROOT, badRequest, forbidden, normalizePath } from '@davsync/core/base';
import { errorCode, toDavError } from './fs-errors';

/** The longest name, in UTF-8 bytes, that every common filesystem can hold. */
export const NAME_MAX_BYTES = 255;

/** The longest real path the OS accepts (bytes, without the terminating NUL). */
export function pathMaxBytes(platform: NodeJS.Platform = process.platform): number {
  // Node prefixes long Windows paths with \\?\ itself, which lifts MAX_PATH.
  if (platform === 'win32') return 32_766;
  return platform === 'darwin' ? 1023 : 4095;
}

// Win32 refuses these characters in names, and treats `\` as a separator:
// `a\..\..\x` would climb out of the root there.
const WINDOWS_FORBIDDEN = /[\\/:*?"<>|\u0000-\u001f]/;
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i;

/**
 * Why the OS cannot hold `name` as one file name, or `undefined` when it can.
 *
 * @example nameProblem('x'.repeat(256)) === 'name longer than 255 bytes'
 */
export function nameProblem(name: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'not a member name';
  if (name.includes('/') || name.includes('\0')) return 'separator or NUL in name';
  if (Buffer.byteLength(name, 'utf8') > NAME_MAX_BYTES) return `name longer than ${NAME_MAX_BYTES} bytes`;
  if (platform === 'win32') {
    if (WINDOWS_FORBIDDEN.test(name)) return 'character not allowed in a Windows file name';
    if (/[. ]$/.test(name)) return 'Windows drops a trailing dot or space';
    if (WINDOWS_DEVICE.test(name)) return 'reserved Windows device name';
  }
  return undefined;
}

/**
 * Flags for opening a member's content: the final component must not be a
 * symlink (one swapped in since the lookup), and a FIFO swapped in must not
 * hang the open (`O_NONBLOCK` changes nothing for regular files). Callers
 * still check the opened descriptor is a regular file. Windows has neither
 * flag; there the lookup alone refuses links.
 */
export const SAFE_READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/** Identity of a file across renames and spellings. */
export interface FileId {
  readonly dev: bigint;
  readonly ino: bigint;
}

export interface SafePathsOptions {
  /** The root directory's real path (absolute, without symlinks). */
  readonly root: string;
  /** The root's device: members on other filesystems are refused. */
  readonly rootDev: bigint;
  /** Name of the state directory, when it is a member of the root. */
  readonly stateName?: string;
  /** Device and inode of the state directory, when it is a member of the root. */
  readonly stateId?: FileId;
  /** Defaults to `process.platform`; tests pass another one. */
  readonly platform?: NodeJS.Platform;
}

/**
 * What decides which directory entries a listing shows, as plain data, so a
 * listing thread applies the same rules as {@link SafePaths}.
 */
export interface ListingRules {
  readonly rootDev: bigint;
  /** Lower-cased. */
  readonly stateName?: string;
  readonly stateId?: FileId;
  readonly platform: NodeJS.Platform;
}

/** Whether a name found on disk may be listed: one the OS holds here and not the state directory's. */
export function listableName(name: string, atRoot: boolean, rules: ListingRules): boolean {
  if (nameProblem(name, rules.platform) !== undefined) return false;
  return !(atRoot && rules.stateName !== undefined && name.toLowerCase() === rules.stateName);
}

/**
 * Whether a listing shows what `stats` describe, and as what: regular files
 * and directories on the root's filesystem, except the state directory.
 */
export function listedKind(stats: BigIntStats, rules: ListingRules): 'file' | 'collection' | undefined {
  if (stats.dev !== rules.rootDev) return undefined;
  if (rules.stateId !== undefined && stats.ino === rules.stateId.ino && stats.dev === rules.stateId.dev) return undefined;
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'collection';
  return undefined;
}

/** A member path with the real path it maps to. */
export interface Resolved {
  /** The normalised member path. */
  readonly path: string;
  /** Its real path under the root. */
  readonly real: string;
}

/** An existing member, with the `lstat` result of its final component. */
export interface Found extends Resolved {
  readonly kind: 'file' | 'collection';
  readonly stats: BigIntStats;
}

/**
 * No member at this path; `parent` says why a write or MKCOL there would
 * fail: `missing` (some ancestor does not exist) or `not-collection` (some
 * ancestor is a file), or succeed (`collection`).
 */
export interface Absent extends Resolved {
  readonly kind: 'absent';
  readonly parent: 'collection' | 'missing' | 'not-collection';
}

export type Lookup = Found | Absent;

/** Maps member paths into one root; see the module comment for the rules. */
export class SafePaths {
  readonly #root: string;
  readonly #rootDev: bigint;
  readonly #stateName: string | undefined;
  readonly #platform: NodeJS.Platform;
  readonly #pathMax: number;
  /** The rules `list` applies (also on the listing thread). */
  readonly listingRules: ListingRules;

  constructor(options: SafePathsOptions) {
    this.#root = options.root;
    this.#rootDev = options.rootDev;
    this.#stateName = options.stateName?.toLowerCase();
    this.#platform = options.platform ?? process.platform;
    this.#pathMax = pathMaxBytes(this.#platform);
    this.listingRules = {
      rootDev: options.rootDev,
      platform: this.#platform,
      ...(this.#stateName === undefined ? {} : { stateName: this.#stateName }),
      ...(options.stateId === undefined ? {} : { stateId: options.stateId }),
    };
  }

  /**
   * The real path of a member path, checked lexically only (no filesystem
   * access). Throws `bad-request` or `forbidden` as the module comment says.
   */
  resolve(path: string): Resolved {
    const p = normalizePath(path);
    if (p === ROOT) return { path: p, real: this.#root };
    const names = p.slice(1).split('/');
    for (const name of names) {
      const problem = nameProblem(name, this.#platform);
      if (problem !== undefined) throw badRequest(`davsync: ${problem}: ${p}`);
    }
    if (this.#stateName !== undefined && (names[0] ?? '').toLowerCase() === this.#stateName) {
      throw forbidden('davsync: the state directory is not part of the store', p);
    }
    const real = join(this.#root, ...names);
    // `join` resolves nothing here (no dot segments are left), so this only
    // restates the invariant the checks above establish.
    if (!real.startsWith(this.#root.endsWith(sep) ? this.#root : this.#root + sep)) throw forbidden('davsync: path outside the store', p);
    if (Buffer.byteLength(real, 'utf8') > this.#pathMax) throw badRequest(`davsync: path too long for the store: ${p}`);
    return { path: p, real };
  }

  /**
   * What is at a member path, walking it with `lstat` from the root. Throws
   * `forbidden` for a symlink or special file anywhere on the way, the state
   * directory, or another filesystem; `bad-request` as {@link resolve} does.
   */
  async lookup(path: string): Promise<Lookup> {
    const { path: p, real } = this.resolve(path);
    if (p === ROOT) {
      const stats = await this.#lstat(this.#root, p);
      if (stats === undefined || !stats.isDirectory()) throw new Error('davsync: the root directory of the store is gone');
      return { kind: 'collection', path: p, real, stats };
    }
    const names = p.slice(1).split('/');
    let current = this.#root;
    for (const [i, name] of names.entries()) {
      current = join(current, name);
      const stats = await this.#lstat(current, p);
      const last = i === names.length - 1;
      if (stats === undefined) return { kind: 'absent', path: p, real, parent: last ? 'collection' : 'missing' };
      const kind = this.visibleKind(stats);
      if (kind === undefined) throw forbidden(`davsync: ${this.#whyHidden(stats)}`, p);
      if (last) return { kind, path: p, real, stats };
      if (kind !== 'collection') return { kind: 'absent', path: p, real, parent: 'not-collection' };
    }
    // `names` is never empty for a path other than the root.
    throw new Error('davsync: unreachable');
  }

  /**
   * Whether `list` shows what `stats` describe, and as what: regular files
   * and directories on the root's filesystem, except the state directory.
   */
  visibleKind(stats: BigIntStats): 'file' | 'collection' | undefined {
    return listedKind(stats, this.listingRules);
  }

  #whyHidden(stats: BigIntStats): string {
    if (stats.isSymbolicLink()) return 'symbolic links are not followed';
    if (stats.dev !== this.#rootDev) return 'another filesystem is mounted here';
    if (stats.isDirectory()) return 'the state directory is not part of the store';
    return 'not a regular file or directory';
  }

  async #lstat(real: string, path: string): Promise<BigIntStats | undefined> {
    try {
      // Synchronous on purpose: an lstat of a cached inode takes ~3 µs here,
      // and a trip through libuv's thread pool ~19 µs of CPU plus two
      // context switches. Every request walks its path this way.
      return lstatSync(real, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw toDavError(err, path);
    }
  }
}
