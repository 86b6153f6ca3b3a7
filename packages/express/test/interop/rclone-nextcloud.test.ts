/**
 * rclone (the Debian 1.60 binary) with `vendor = nextcloud` and a large
 * file (128 MiB by default, 300 MiB when verified by hand; `DAVSYNC_RCLONE_LARGE_MIB` to change): issue 20 asks for
 * Nextcloud chunked upload (chunking v2: MKCOL under `/uploads/`, numbered
 * chunk PUTs, MOVE of `.file`) if rclone's nextcloud dialect otherwise
 * fails for large files. rclone 1.60 predates its chunked upload (no
 * `nextcloud_chunk_size` option): it sends one plain PUT, which davsync
 * streams to the store. This proves it on the run's store
 * (DAVSYNC_TEST_STORE: memory, fs, postgres): the upload is a single PUT
 * (no MKCOL, no MOVE, nothing under `uploads/`), the member's bytes equal
 * the source's, `rclone check` compares SHA-1 hashes and finds 0
 * differences, and a download is byte-identical.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { runRclone, type RcloneRun } from '../support/rclone';
import { startServer, type TestServer } from '../support/server';

const MIB = Number(process.env['DAVSYNC_RCLONE_LARGE_MIB'] ?? 128);

let s: TestServer;
let dir: string;
let local: string;
let config: string;
let sourceSha256: string;

/** One rclone command against the remote `dav:` (vendor nextcloud). */
function rclone(...args: string[]): Promise<RcloneRun> {
  return runRclone({ url: `${s.url}/`, vendor: 'nextcloud', config, ioTimeout: '60s', timeoutMs: 240_000 }, args);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-rclone-nc-'));
  local = join(dir, 'local');
  config = join(dir, 'rclone.conf');
  await writeFile(config, '');
  await mkdir(local);
  // Random content, written a MiB at a time: nothing compressible, nothing held whole.
  const file = await open(join(local, 'large.bin'), 'w');
  const hash = createHash('sha256');
  try {
    for (let i = 0; i < MIB; i++) {
      const block = randomBytes(1024 * 1024);
      hash.update(block);
      await file.write(block);
    }
  } finally {
    await file.close();
  }
  sourceSha256 = hash.digest('hex');
  s = await startServer();
}, 120_000);

afterAll(async () => {
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

it('this rclone has no Nextcloud chunked upload (the premise: chunking v2 is not needed for it)', async () => {
  const help = await rclone('help', 'backend', 'webdav');
  expect(help.code).toBe(0);
  expect(help.output).toMatch(/nextcloud/);
  // A newer rclone has `--webdav-nextcloud-chunk-size`; then davsync would need chunking v2 for it.
  expect(help.output).not.toMatch(/chunk/i);
}, 60_000);

it(`uploads a ${MIB} MiB file with one plain PUT; the member is whole and rclone check compares SHA-1: 0 differences`, async () => {
  const copy = await rclone('copy', '--dump', 'headers', local, 'dav:big');
  expect({ code: copy.code, tail: copy.output.slice(-2000) }).toEqual({ code: 0, tail: expect.any(String) });
  // The requests rclone made (--dump headers logs each request line, after "DEBUG : ").
  const requests = copy.output.split('\n').flatMap((l) => /DEBUG : ((?:PUT|MKCOL|MOVE|DELETE) \S+) HTTP/.exec(l)?.[1] ?? []);
  expect(requests).toEqual(['MKCOL /big/', 'PUT /big/large.bin']);
  const entry = await s.adapter.stat('/big/large.bin');
  expect(entry?.size).toBe(MIB * 1024 * 1024);
  const hash = createHash('sha256');
  for await (const chunk of await s.adapter.read('/big/large.bin')) hash.update(chunk);
  expect(hash.digest('hex')).toBe(sourceSha256);

  const check = await rclone('check', local, 'dav:big');
  expect(check.output).toMatch(/Using sha1 for hash comparisons/);
  expect(check.output).toMatch(/0 differences found/);
  expect(check.code).toBe(0);
}, 300_000);

it('downloads it byte for byte', async () => {
  const target = join(dir, 'down', 'large.bin');
  const copy = await rclone('copyto', 'dav:big/large.bin', target);
  expect(copy.code).toBe(0);
  expect(await sha256Of(target)).toBe(sourceSha256);
}, 300_000);
