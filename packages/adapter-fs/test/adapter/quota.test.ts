/**
 * FsAdapter's quota figures (RFC 4331): the filesystem's, by `statfs` of
 * the collection. Other programs write to the same disk while this runs,
 * so the figures are compared with `statfs` readings taken around them,
 * with room for what changed in between.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { writeText } from '@davsync/core/testing';
import { removeTemp, tempStore, type TempStore } from '../support/temp-store';

let store: TempStore;
beforeEach(async () => {
  store = await tempStore();
});
afterEach(async () => {
  jest.restoreAllMocks();
  await removeTemp(store.dir);
});

/** Other writers on a shared machine may move the figures this much between two readings. */
const SLACK = 256 * 1024 * 1024;

describe('FsAdapter quota', () => {
  it("answers a collection with its filesystem's available (bavail) and used (blocks - bfree) bytes", async () => {
    await store.adapter.mkcol('/c');
    const before = await fsp.statfs(store.root);
    const figures = await store.adapter.quota('/c');
    const after = await fsp.statfs(store.root);
    const available = [before, after].map((s) => s.bavail * s.bsize);
    const used = [before, after].map((s) => (s.blocks - s.bfree) * s.bsize);
    expect(Number.isSafeInteger(figures?.available) && Number.isSafeInteger(figures?.used)).toBe(true);
    expect(figures?.available).toBeGreaterThanOrEqual(Math.min(...available) - SLACK);
    expect(figures?.available).toBeLessThanOrEqual(Math.max(...available) + SLACK);
    expect(figures?.used).toBeGreaterThanOrEqual(Math.min(...used) - SLACK);
    expect(figures?.used).toBeLessThanOrEqual(Math.max(...used) + SLACK);
    // Not the root's reserved blocks: what an unprivileged writer can use.
    expect((figures?.available ?? 0) + (figures?.used ?? 0)).toBeLessThanOrEqual(after.blocks * after.bsize + SLACK);
  });

  it('has no figures for a file or a missing path', async () => {
    await writeText(store.adapter, '/f.txt', 'x');
    expect(await store.adapter.quota('/f.txt')).toBeUndefined();
    expect(await store.adapter.quota('/nope')).toBeUndefined();
    expect(await store.adapter.quota('/nope/deeper')).toBeUndefined();
  });

  it('costs one statfs and no directory read, however many members the collection has', async () => {
    await store.adapter.mkcol('/big');
    for (let i = 0; i < 50; i++) await writeText(store.adapter, `/big/${i}.txt`, 'x');
    const statfs = jest.spyOn(fsp, 'statfs');
    const readdir = jest.spyOn(fsp, 'readdir');
    const opendir = jest.spyOn(fsp, 'opendir');
    await store.adapter.quota('/big');
    expect(statfs).toHaveBeenCalledTimes(1);
    expect(statfs.mock.calls[0]?.[0]).toBe(join(store.root, 'big'));
    expect(readdir).not.toHaveBeenCalled();
    expect(opendir).not.toHaveBeenCalled();
  });
});
