/**
 * The listing thread: the same members and facts as a listing on the main
 * thread, the same errors, abandoned listings released, and a stopped thread
 * that fails what is in flight and leaves listings to the main thread.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FsAdapter, ListingThread } from '@davsync/adapter-fs';
import { listAll } from '@davsync/core/testing';
import type { DirectoryMember } from '../../src/listing/directory';
import { factsOf } from '../../src/listing/member-facts';
import { MemoryPropertyTable } from '../support/memory-property-table';
import { removeTemp, tempDir } from '../support/temp-store';

let dir: string;
let root: string;
let thread: ListingThread;

beforeEach(async () => {
  dir = tempDir();
  root = join(dir, 'root');
  mkdirSync(root);
  thread = await ListingThread.start();
});

afterEach(async () => {
  await thread.close();
  await removeTemp(dir);
});

/** A folder of `files` files and `dirs` folders, plus a symlink and a FIFO that no listing shows. */
function populate(folder: string, files: number, dirs: number): void {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(folder, `f${i}.txt`), `content ${i}`);
  for (let i = 0; i < dirs; i++) mkdirSync(join(folder, `d${i}`));
  symlinkSync(join(folder, 'f0.txt'), join(folder, 'link'));
  execFileSync('mkfifo', [join(folder, 'fifo')]);
}

const rules = () => ({ rootDev: lstatSync(root, { bigint: true }).dev, platform: process.platform });

async function collect(batches: AsyncIterable<DirectoryMember[]>): Promise<DirectoryMember[]> {
  const out: DirectoryMember[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe('ListingThread', () => {
  it('lists every visible member but the skipped ones, with the facts an lstat on this thread gives', async () => {
    const folder = join(root, 'big');
    populate(folder, 700, 30);
    const skip = ['f0.txt', 'f1.txt', 'd0'];
    const members = await collect(thread.list(folder, false, rules(), skip).batches);
    const names = members.map((m) => m.name).sort();
    const expected = [...Array.from({ length: 700 }, (_, i) => `f${i}.txt`), ...Array.from({ length: 30 }, (_, i) => `d${i}`)].filter((n) => !skip.includes(n)).sort();
    expect(names).toEqual(expected);
    for (const m of members) {
      const kind = m.name.startsWith('d') ? 'collection' : 'file';
      expect(m).toEqual({ name: m.name, real: join(folder, m.name), kind, facts: factsOf(kind, lstatSync(join(folder, m.name), { bigint: true })) });
    }
  });

  it('applies the listing rules: the state directory by name at the root only, and by device and inode anywhere', async () => {
    populate(root, 100, 0);
    mkdirSync(join(root, '.DavSync'));
    mkdirSync(join(root, 'state-elsewhere'));
    const state = lstatSync(join(root, 'state-elsewhere'), { bigint: true });
    const withState = { ...rules(), stateName: '.davsync', stateId: { dev: state.dev, ino: state.ino } };
    const atRoot = (await collect(thread.list(root, true, withState, []).batches)).map((m) => m.name);
    expect(atRoot).toHaveLength(100);
    expect(atRoot).not.toContain('.DavSync');
    expect(atRoot).not.toContain('state-elsewhere');
    const below = (await collect(thread.list(root, false, withState, []).batches)).map((m) => m.name);
    expect(below).toContain('.DavSync');
    expect(below).not.toContain('state-elsewhere');
  });

  it('fails with the error of the failed call: a missing folder, a file', async () => {
    writeFileSync(join(root, 'file'), 'x');
    await expect(collect(thread.list(join(root, 'missing'), false, rules(), []).batches)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(collect(thread.list(join(root, 'file'), false, rules(), []).batches)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('releases a listing abandoned midway, or never started, and keeps serving others', async () => {
    const folder = join(root, 'big');
    populate(folder, 3000, 0);
    for await (const batch of thread.list(folder, false, rules(), []).batches) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    thread.list(folder, false, rules(), []).cancel();
    expect(await collect(thread.list(folder, false, rules(), []).batches)).toHaveLength(3000);
  });

  it('fails a listing in flight when it is closed, then is no longer available', async () => {
    const folder = join(root, 'big');
    populate(folder, 3000, 0);
    const listing = thread.list(folder, false, rules(), []).batches;
    await listing.next();
    await thread.close();
    expect(thread.available).toBe(false);
    const rest = collect(listing);
    await expect(rest).rejects.toMatchObject({ code: 'unavailable', name: 'DavError' });
    expect(() => thread.list(folder, false, rules(), [])).toThrow(/stopped/);
  });
});

describe('FsAdapter with a listing thread', () => {
  it('lists a large folder exactly as without one, and on the main thread once the thread is closed', async () => {
    populate(join(root, 'big'), 500, 20);
    const plain = new FsAdapter({ root, properties: new MemoryPropertyTable() });
    const threaded = new FsAdapter({ root, properties: new MemoryPropertyTable(), listing: thread });
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    const expected = (await listAll(plain, '/big')).sort(byPath);
    expect(expected).toHaveLength(520);
    expect((await listAll(threaded, '/big')).sort(byPath)).toEqual(expected);
    await thread.close();
    expect((await listAll(threaded, '/big')).sort(byPath)).toEqual(expected);
  });

  it('hides the state directory at the root of a large store', async () => {
    for (let i = 0; i < 200; i++) writeFileSync(join(root, `f${i}`), 'x');
    const adapter = new FsAdapter({ root, properties: new MemoryPropertyTable(), listing: thread });
    await adapter.ready();
    const paths = (await listAll(adapter, '/')).map((e) => e.path);
    expect(paths).toHaveLength(200);
    expect(paths).not.toContain('/.davsync');
  });
});
