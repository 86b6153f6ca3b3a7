/**
 * Creating the served folder and its state folder in a bounded number of
 * steps, or refusing at once with a message that says why.
 *
 * Node's `mkdir(…, { recursive: true })` retries for ever when `mkdir`
 * fails with ENOENT under a directory that exists — which is what `/proc`
 * does — so `davsync serve /proc/newdir` spun at full CPU. Here each
 * missing level is made with a plain `mkdir`, one system call per level,
 * and any failure is final.
 *
 * The rule for where a folder may be made: its nearest existing ancestor
 * must be a directory, on a filesystem that stores files (not one of the
 * kernel's interface filesystems, where `mkdir` fails or, in cgroupfs,
 * creates a control group), and writable by this process (which also
 * refuses a read-only mount: `access` answers EROFS there).
 */
import { constants, promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Kernel interface filesystems by their `statfs` magic (linux/magic.h): they
 * expose kernel objects as files, and nothing written there is stored.
 */
const KERNEL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x0027e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0x6e736673, 'nsfs'],
]);

/** Why a folder cannot be served or created. */
export class UnusableDirectoryError extends Error {
  override readonly name = 'UnusableDirectoryError';
  constructor(
    /** The folder asked for. */
    readonly dir: string,
    /** What is wrong with it, without its path: for a caller that names it in its own words. */
    readonly reason: string,
  ) {
    super(`davsync: cannot use ${dir}: ${reason}`);
  }
}

/**
 * Makes sure `dir` is a directory, creating it and any missing parents
 * (`mode` for each new one). Throws {@link UnusableDirectoryError} for a
 * path that cannot be one; never loops.
 */
export async function makeDirectory(dir: string, mode = 0o777): Promise<void> {
  const missing: string[] = [];
  let existing = dir;
  let info = await statOrMissing(dir, existing);
  while (info === undefined) {
    missing.push(existing);
    const parent = dirname(existing);
    if (parent === existing) break; // not even `/` answered: let mkdir say why
    existing = parent;
    info = await statOrMissing(dir, existing);
  }
  if (info !== undefined && !info.isDirectory()) {
    throw new UnusableDirectoryError(dir, existing === dir ? 'not a directory' : `${existing} is not a directory`);
  }
  await refuseKernelFilesystem(existing, dir);
  if (missing.length === 0) return;
  try {
    await fsp.access(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new UnusableDirectoryError(dir, `cannot create it in ${existing}: ${describe(err)}`);
  }
  for (const level of missing.reverse()) {
    try {
      await fsp.mkdir(level, { mode });
    } catch (err) {
      // Made meanwhile by someone else: fine if it is a directory.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await statOrMissing(dir, level))?.isDirectory()) continue;
      throw new UnusableDirectoryError(dir, `cannot create ${level}: ${describe(err)}`);
    }
  }
}

/** `stat`, or `undefined` where there is nothing (or something under a file). */
async function statOrMissing(dir: string, path: string) {
  try {
    return await fsp.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UnusableDirectoryError(dir, `${path}: ${describe(err)}`);
  }
}

async function refuseKernelFilesystem(existing: string, dir: string): Promise<void> {
  let type: number;
  try {
    type = (await fsp.statfs(existing)).type >>> 0;
  } catch {
    return; // no statfs here (or not allowed): the mkdir and the state database still say no where they must
  }
  const name = KERNEL_FILESYSTEMS.get(type);
  if (name === undefined) return;
  throw new UnusableDirectoryError(dir, `${existing} is on ${name}, a kernel interface filesystem that stores no files`);
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such file or directory',
    ENOSPC: 'no space left on device',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'name too long',
  };
  return (e.code !== undefined ? words[e.code] : undefined) ?? e.code ?? String(err);
}
