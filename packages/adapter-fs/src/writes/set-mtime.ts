/**
 * Setting a member's modification time in place (`FsAdapter.setModified`):
 * through a descriptor opened without following links, so a symlink
 * swapped in since the path was checked is refused rather than followed,
 * and made durable before it is reported, since it is the member's only
 * change.
 */
import { promises as fsp, type BigIntStats } from 'node:fs';
import { SAFE_READ_FLAGS } from '../paths/safe-path';

/**
 * Sets the mtime of the file or directory at `real` (keeping `atime`);
 * returns its metadata just before (of the inode opened, which is what the
 * caller's identity checks must compare) and after.
 */
export async function setMtime(real: string, atime: Date, modified: Date): Promise<{ before: BigIntStats; after: BigIntStats }> {
  const fd = await fsp.open(real, SAFE_READ_FLAGS);
  try {
    const before = await fd.stat({ bigint: true });
    await fd.utimes(atime, modified);
    await fd.sync();
    return { before, after: await fd.stat({ bigint: true }) };
  } finally {
    await fd.close();
  }
}
