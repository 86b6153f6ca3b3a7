/**
 * rclone (the Debian 1.60 binary, vendor `owncloud`) against davsync, issue
 * 17's proofs: `rclone check` without `--download` compares hashes (MD5 or
 * SHA-1 from `oc:checksums`) rather than saying "No common hash found",
 * finds 0 differences after an upload and exactly 1 after a same-size local
 * edit (which sizes alone would miss); `rclone sync --checksum` a second time
 * transfers nothing. The store is the run's (DAVSYNC_TEST_STORE: memory, fs,
 * postgres). Nothing here depends on modification times (another change).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runRclone, type RcloneRun } from '../support/rclone';
import { startServer, type TestServer } from '../support/server';

let s: TestServer;
let dir: string;
let local: string;
let config: string;

/** One rclone command against the remote `dav:` (vendor owncloud). */
function rclone(...args: string[]): Promise<RcloneRun> {
  return runRclone({ url: `${s.url}/`, vendor: 'owncloud', config }, args);
}

/** Asserts that rclone compared every file by a hash the server served, not by size alone. */
function expectHashesCompared(run: RcloneRun): void {
  expect(run.output).not.toMatch(/No common hash found/);
  expect(run.output).toMatch(/Using (md5|sha1) for hash comparisons/);
  expect(run.output).not.toMatch(/could not be checked/);
}

/** Files rclone reports it transferred (`-v` logs one "Copied" line per file). */
const copied = (run: RcloneRun): number => run.output.split('\n').filter((l) => /: Copied \(/.test(l)).length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-rclone-'));
  local = join(dir, 'local');
  config = join(dir, 'rclone.conf');
  await writeFile(config, '');
  await mkdir(join(local, 'sub'), { recursive: true });
  await writeFile(join(local, 'a.txt'), 'alpha, the first file\n');
  await writeFile(join(local, 'sub', 'b.bin'), randomBytes(300_000));
  await writeFile(join(local, 'sub', 'c.txt'), '');
  s = await startServer();
}, 60_000);

afterAll(async () => {
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('rclone, vendor owncloud', () => {
  it('uploads a tree, and check compares hashes: 0 differences', async () => {
    const copy = await rclone('copy', local, 'dav:tree');
    expect({ code: copy.code, output: copy.output }).toEqual({ code: 0, output: expect.any(String) });
    expect(copied(copy)).toBe(3);
    const check = await rclone('check', local, 'dav:tree');
    expectHashesCompared(check);
    expect(check.output).toMatch(/0 differences found/);
    expect(check.output).toMatch(/3 matching files/);
    expect(check.code).toBe(0);
  }, 120_000);

  it('sync --checksum transfers nothing the second time', async () => {
    const again = await rclone('sync', '--checksum', local, 'dav:tree');
    expect(again.code).toBe(0);
    expect(copied(again)).toBe(0);
  }, 120_000);

  it('check finds exactly the one file edited locally, at the same size; sync --checksum sends just it, then nothing', async () => {
    await writeFile(join(local, 'a.txt'), 'ALPHA, the first file\n');
    const check = await rclone('check', local, 'dav:tree');
    expectHashesCompared(check);
    expect(check.output).toMatch(/1 differences found/);
    expect(check.output).toMatch(/a\.txt/);
    expect(check.code).not.toBe(0);
    const sync = await rclone('sync', '--checksum', local, 'dav:tree');
    expect(sync.code).toBe(0);
    expect(copied(sync)).toBe(1);
    const after = await rclone('sync', '--checksum', local, 'dav:tree');
    expect(copied(after)).toBe(0);
    const last = await rclone('check', local, 'dav:tree');
    expectHashesCompared(last);
    expect(last.output).toMatch(/0 differences found/);
  }, 180_000);
});
