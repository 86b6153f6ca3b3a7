import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { join } from 'node:path';
import { openFsStore } from '@davsync/adapter-fs';
import { makeDirectory, UnusableDirectoryError } from '../../src/store/make-directory';
import { removeTemp, tempDir } from '../support/temp-store';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTemp(d);
});

function newDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

/** The error `makeDirectory` rejects with, and how long it took. */
async function refusal(dir: string): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  try {
    await makeDirectory(dir);
  } catch (err) {
    return { err, ms: performance.now() - started };
  }
  throw new Error(`${dir} was made`);
}

describe('makeDirectory', () => {
  it('makes every missing level, and accepts a directory that exists', async () => {
    const dir = join(newDir(), 'a', 'b', 'c');
    await makeDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    await makeDirectory(dir);
  });

  it('refuses a path under a regular file, naming the file', async () => {
    const file = join(newDir(), 'file');
    await fsp.writeFile(file, 'x');
    const { err } = await refusal(join(file, 'sub', 'deeper'));
    expect(err).toBeInstanceOf(UnusableDirectoryError);
    expect((err as UnusableDirectoryError).reason).toBe(`${file} is not a directory`);
    expect((await refusal(file)).err).toMatchObject({ reason: 'not a directory' });
  });

  const onLinux = existsSync('/proc/self/stat');
  (onLinux ? it : it.skip).each(['/proc/davsync-new', '/proc/davsync-new/deeper', '/proc/self', '/sys/davsync-new'])(
    '%s: refused at once as a kernel interface filesystem (Node’s recursive mkdir loops for ever under /proc)',
    async (path) => {
      if (!existsSync(path.split('/').slice(0, 2).join('/'))) return; // no /sys in this container
      const { err, ms } = await refusal(path);
      expect((err as UnusableDirectoryError).reason).toMatch(/ is on (proc|sysfs), a kernel interface filesystem that stores no files$/);
      expect(ms).toBeLessThan(1000);
    },
  );

  it('openFsStore refuses such a root the same way, quickly', async () => {
    if (!onLinux) return;
    const started = performance.now();
    await expect(openFsStore({ root: '/proc/davsync-new', watch: false })).rejects.toThrow(
      'davsync: cannot use /proc/davsync-new: /proc is on proc, a kernel interface filesystem that stores no files',
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
