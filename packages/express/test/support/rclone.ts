/**
 * rclone (Debian's binary) driven by the interop tests: one command against
 * the remote `dav:`, configured by environment only (no config file is
 * read or written beyond the empty one given), bounded in time.
 */
import { execFile } from 'node:child_process';

export interface RcloneRun {
  readonly code: number;
  readonly output: string;
}

export interface RcloneRemote {
  /** The WebDAV URL the remote `dav:` points at (with a trailing slash). */
  readonly url: string;
  /** rclone's webdav `vendor` setting. */
  readonly vendor: 'owncloud' | 'nextcloud' | 'other';
  /** An empty file for `--config`, so the user's own rclone.conf is never read. */
  readonly config: string;
  /** rclone's own `--timeout` (idle I/O), e.g. '30s'. */
  readonly ioTimeout?: string;
  /** How long the whole command may take (ms). */
  readonly timeoutMs?: number;
}

export function runRclone(remote: RcloneRemote, args: readonly string[]): Promise<RcloneRun> {
  const env = {
    ...process.env,
    RCLONE_CONFIG_DAV_TYPE: 'webdav',
    RCLONE_CONFIG_DAV_URL: remote.url,
    RCLONE_CONFIG_DAV_VENDOR: remote.vendor,
  };
  const flags = ['--config', remote.config, '--retries', '1', '--low-level-retries', '1', '--contimeout', '5s', '--timeout', remote.ioTimeout ?? '30s', '-v'];
  return new Promise((resolve, reject) => {
    execFile('rclone', [...args, ...flags], { env, timeout: remote.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') return reject(err);
      resolve({ code: err === null ? 0 : (err.code as number), output: `${stdout}\n${stderr}` });
    });
  });
}
