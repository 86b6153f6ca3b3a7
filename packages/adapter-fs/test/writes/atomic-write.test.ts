/**
 * Atomic, durable writes: all or nothing, old or new for every reader, no
 * leftovers on failure, and memory that stays flat however large the body.
 */
// The module object itself (not an import namespace), so a test can replace its `write`.
import fs = require('node:fs');
import { chmodSync, mkdirSync, promises as fsp, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { failingBody, bodyOf, expectDavError, patternBytes, readText } from '@davsync/core/testing';
import { stageBody, writeAtomically } from '../../src/writes/atomic-write';
import { removeTemp, tempDir, tempStore } from '../support/temp-store';

/** Makes every content write fail as on a full disk (until `jest.restoreAllMocks`). */
function diskFull(): void {
  jest.spyOn(fs, 'write').mockImplementation(((...args: unknown[]) => {
    const callback = args[args.length - 1] as (err: Error) => void;
    process.nextTick(() => callback(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })));
  }) as unknown as typeof fs.write);
}

let dir: string;
let tmp: string;
let target: string;

beforeEach(() => {
  dir = tempDir();
  tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  target = join(dir, 'file.bin');
});

afterEach(async () => {
  jest.restoreAllMocks();
  await removeTemp(dir);
});

describe('writeAtomically', () => {
  it('creates and replaces a file, leaving nothing in the temporary directory', async () => {
    await writeAtomically(bodyOf('first'), target, tmp);
    expect(readFileSync(target, 'utf8')).toBe('first');
    const stats = await writeAtomically(bodyOf('second ', 'version'), target, tmp);
    expect(readFileSync(target, 'utf8')).toBe('second version');
    expect(stats.size).toBe(14n);
    expect(stats.ino).toBe(statSync(target, { bigint: true }).ino);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('leaves the old content and no temporary file when the body stream fails', async () => {
    writeFileSync(target, 'old content');
    const error = new Error('connection reset');
    await expect(writeAtomically(failingBody(error, 'new ', 'content'), target, tmp)).rejects.toBe(error);
    expect(readFileSync(target, 'utf8')).toBe('old content');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('leaves the old content and no temporary file when the disk fills up', async () => {
    writeFileSync(target, 'old content');
    diskFull();
    await expect(writeAtomically(bodyOf('new content'), target, tmp)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(target, 'utf8')).toBe('old content');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('lets a concurrent reader see the old content or the new, never a mix', async () => {
    const size = 2 * 1024 * 1024;
    const old = patternBytes(size, 1);
    const next = patternBytes(size, 2);
    writeFileSync(target, old);
    // The body yields to the event loop between chunks, so reads interleave with the write.
    async function* slowBody(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < size; at += 64 * 1024) {
        await new Promise((resolve) => setImmediate(resolve));
        yield next.subarray(at, at + 64 * 1024);
      }
    }
    let done = false;
    const writing = writeAtomically(slowBody(), target, tmp).finally(() => (done = true));
    const seen = { old: 0, next: 0 };
    for (let i = 0; i < 500 && !done; i++) {
      const content = await fsp.readFile(target);
      if (content.equals(old)) seen.old += 1;
      else if (content.equals(next)) seen.next += 1;
      else throw new Error(`read ${i} saw ${content.length} bytes that are neither version`);
    }
    await writing;
    expect(seen.old).toBeGreaterThan(0);
    expect((await fsp.readFile(target)).equals(next)).toBe(true);
  });
});

describe('a staged file succeeding another', () => {
  it('gets a later mtime than the file it replaces, so ETags at one path never repeat', async () => {
    writeFileSync(target, 'old');
    const future = new Date(Date.now() + 60_000);
    utimesSync(target, future, future);
    const previous = statSync(target, { bigint: true });
    const staged = await stageBody(bodyOf('new'), tmp);
    try {
      expect(staged.stats.mtimeNs).toBeLessThan(previous.mtimeNs);
      await staged.succeed(previous);
      expect(staged.stats.mtimeNs).toBeGreaterThan(previous.mtimeNs);
      await staged.publish(target);
      expect(statSync(target, { bigint: true }).mtimeNs).toBe(staged.stats.mtimeNs);
    } finally {
      await staged.discard();
    }
  });

  it('keeps its own mtime when that is already later', async () => {
    writeFileSync(target, 'old');
    const past = new Date(Date.now() - 60_000);
    utimesSync(target, past, past);
    const staged = await stageBody(bodyOf('x'), tmp);
    try {
      const own = staged.stats.mtimeNs;
      await staged.succeed(statSync(target, { bigint: true }));
      expect(staged.stats.mtimeNs).toBe(own);
    } finally {
      await staged.discard();
    }
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('takes over the permission bits of the file it replaces', async () => {
    if (process.platform === 'win32') return;
    writeFileSync(target, 'private', { mode: 0o600 });
    chmodSync(target, 0o600);
    const staged = await stageBody(bodyOf('still private'), tmp);
    try {
      await staged.succeed(statSync(target, { bigint: true }));
      await staged.publish(target);
    } finally {
      await staged.discard();
    }
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });
});

describe('FsAdapter writes', () => {
  it('report a full disk as insufficient-storage and keep the old content', async () => {
    const store = await tempStore();
    try {
      const before = await store.adapter.write('/f.txt', bodyOf('old'));
      diskFull();
      await expectDavError('insufficient-storage', () => store.adapter.write('/f.txt', bodyOf('new')));
      jest.restoreAllMocks();
      expect(await readText(store.adapter, '/f.txt')).toBe('old');
      expect((await store.adapter.stat('/f.txt'))?.etag).toBe(before.etag);
      expect(readdirSync(join(store.root, '.davsync', 'tmp'))).toEqual([]);
    } finally {
      await removeTemp(store.dir);
    }
  });

  it('leave no temporary file behind after a failed body', async () => {
    const store = await tempStore();
    try {
      await expect(store.adapter.write('/f.txt', failingBody(new Error('gone'), 'part'))).rejects.toThrow('gone');
      expect(readdirSync(join(store.root, '.davsync', 'tmp'))).toEqual([]);
      expect(readdirSync(store.root)).toEqual(['.davsync']);
    } finally {
      await removeTemp(store.dir);
    }
  });

  it(
    'stream a 200 MB body with memory growth far below its size',
    async () => {
      const store = await tempStore();
      try {
        const MiB = 1024 * 1024;
        const total = 200 * MiB;
        const chunk = patternBytes(MiB, 9);
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        // A generated body: the same megabyte again and again, so the test itself holds one.
        async function* generated(): AsyncGenerator<Uint8Array> {
          for (let sent = 0; sent < total; sent += MiB) {
            peak = Math.max(peak, process.memoryUsage().rss);
            yield chunk;
          }
        }
        const entry = await store.adapter.write('/big.bin', generated());
        peak = Math.max(peak, process.memoryUsage().rss);
        expect(entry.size).toBe(total);
        expect(statSync(join(store.root, 'big.bin')).size).toBe(total);
        // The body is 200 MB; a buffering writer would grow by at least that.
        expect(peak - baseline).toBeLessThan(48 * MiB);
        const head = Buffer.alloc(MiB);
        const handle = await fsp.open(join(store.root, 'big.bin'), 'r');
        try {
          await handle.read(head, 0, MiB, total - MiB);
        } finally {
          await handle.close();
        }
        expect(head.equals(chunk)).toBe(true);
      } finally {
        await removeTemp(store.dir);
      }
    },
    120_000,
  );
});
