/**
 * Mounts a WebDAV URL with davfs2 (Debian package `davfs2`, installed by
 * .ci/run) into a temporary directory, with a davfs2.conf of its own, and
 * takes it down again. Adapter-neutral: give it any davsync server's URL.
 *
 * davfs2 runs its cache as the unprivileged `dav_user` (`davfs2`), so the
 * temporary tree is opened up for it to traverse and the cache directory
 * for it to write.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOUNT_DAVFS = ['/usr/sbin/mount.davfs', '/sbin/mount.davfs'].find((p) => existsSync(p)) ?? '/usr/sbin/mount.davfs';
const UMOUNT = ['/usr/bin/umount', '/bin/umount'].find((p) => existsSync(p)) ?? 'umount';

/**
 * The davfs2.conf settings the mount uses (and docs/mounting.md quotes).
 * `buf_size 64`: davfs2 before 1.7.2 reads FUSE requests into a 16 KiB
 * buffer, which Linux 6.16 and later overrun, so every directory listing
 * fails with EINVAL ("reading directory: Invalid argument") whatever the
 * server answers; 1.7.2 made 64 KiB the default.
 */
export const DAVFS2_SETTINGS: readonly string[] = [
  'use_locks 1', // LOCK a file while it is open for writing (the default, said out loud)
  'lock_timeout 300',
  'delay_upload 0', // upload on close, not some seconds later
  'gui_optimize 0',
  'file_refresh 0', // no stale attribute caches between the test's steps
  'dir_refresh 0',
  'ask_auth 0', // never prompt: the test server needs no credentials
  'connect_timeout 10',
  'read_timeout 30',
  'buf_size 64',
];

/** Why davfs2 cannot mount here, or undefined when it can. */
export function davfs2Unavailable(): string | undefined {
  if (!existsSync('/dev/fuse')) return '/dev/fuse does not exist (no FUSE in this kernel or container)';
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/fuse is not readable and writable by this user';
  }
  if (!existsSync(MOUNT_DAVFS)) return `${MOUNT_DAVFS} is missing (apt-get install davfs2; .ci/run installs it)`;
  // Without root, mount.davfs mounts only what /etc/fstab lists for users.
  if (process.getuid?.() !== 0) return 'mounting needs root (mount.davfs mounts only fstab entries for other users)';
  return undefined;
}

export interface Davfs2Mount {
  /** The local directory the collection is mounted on. */
  readonly dir: string;
  /** Unmounts (davfs2 uploads what is still dirty first); safe to call twice. */
  unmount(): Promise<void>;
  /** Unmounts if still mounted, forcibly if need be, and removes the temporary tree. */
  dispose(): Promise<void>;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: noProxyEnv() }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, output: `${stdout}${stderr}${err !== null && code === -1 ? err.message : ''}` });
    });
  });
}

/** No proxy between davfs2 and a loopback server. */
function noProxyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(name)) delete env[name];
  return env;
}

/** Whether `dir` is a mount point now (from /proc/mounts, which escapes spaces as \040). */
export function isMounted(dir: string): boolean {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n');
  return mounts.some((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') === dir);
}

/**
 * Mounts `url` (a collection URL ending in `/`) read-write. The caller
 * must call `dispose()` (in `afterAll`), which never hangs: a mount that
 * will not go gracefully is detached lazily.
 */
export async function mountDavfs2(url: string, extraSettings: readonly string[] = []): Promise<Davfs2Mount> {
  if (!url.endsWith('/')) throw new Error(`mountDavfs2: the URL must name a collection and end in '/': ${url}`);
  const base = await mkdtemp(join(tmpdir(), 'davsync-davfs2-'));
  const dir = join(base, 'mnt');
  const cache = join(base, 'cache');
  await mkdir(dir);
  await mkdir(cache);
  // The davfs2 user must reach and write the cache (mkdtemp made base 0700).
  await chmod(base, 0o755);
  await chmod(cache, 0o777);
  const secrets = join(base, 'secrets');
  // An entry for the URL keeps mount.davfs from asking for credentials the server never asks for.
  await writeFile(secrets, `${url} anonymous anonymous\n`, { mode: 0o600 });
  const conf = join(base, 'davfs2.conf');
  await writeFile(conf, [`cache_dir ${cache}`, `secrets ${secrets}`, ...DAVFS2_SETTINGS, ...extraSettings, ''].join('\n'));

  let mounted = false;
  const unmount = async (): Promise<void> => {
    if (!mounted) return;
    // umount of a davfs2 mount waits for mount.davfs to upload and exit.
    const r = await run(UMOUNT, [dir], 60_000);
    if (r.code !== 0 && isMounted(dir)) throw new Error(`umount ${dir} failed (${r.code}): ${r.output}`);
    mounted = false;
  };
  const dispose = async (): Promise<void> => {
    try {
      await unmount();
    } catch {
      // Detach whatever is left so nothing, the temp tree included, can hang on it.
      await run(UMOUNT, ['-l', dir], 10_000);
      mounted = false;
    }
    if (!isMounted(dir)) await rm(base, { recursive: true, force: true });
  };

  const r = await run(MOUNT_DAVFS, [url, dir, '-o', `conf=${conf},uid=0,gid=0`], 60_000);
  mounted = isMounted(dir);
  if (r.code !== 0 || !mounted) {
    await dispose();
    throw new Error(`mount.davfs ${url} ${dir} failed (exit ${r.code}): ${r.output}`);
  }
  return { dir, unmount, dispose };
}
