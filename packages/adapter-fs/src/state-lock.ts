/**
 * One davsync process per root: two would race each other's temp files,
 * trash and journal. The lock is a file holding the owner's pid; a lock left
 * by a process that no longer exists (a crash, `kill -9`) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DavError } from '@davsync/core';

const LOCK_FILE = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of a state directory; resolves to its release function. */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const file = join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new DavError('unavailable', `davsync: ${stateDir} is in use by process ${owner}`);
    }
    await rm(file, { force: true }); // stale: its owner is gone
  }
  throw new DavError('unavailable', `davsync: cannot lock ${stateDir}`);
}
