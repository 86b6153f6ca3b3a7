/**
 * What the server's ownCloud properties give the sync, end to end against a
 * davsync server: a remote MOVE (seen by `oc:fileid`) is a local rename, not
 * a download; downloads are checked against `oc:checksums` (a corrupt one
 * is never installed); a both-sides edit to the same bytes is settled by
 * checksum without a download; uploads carry `X-OC-Mtime` and
 * `OC-Checksum`; and an edit of the same size within the same time tick as
 * the last record is still seen.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, open, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed, type SyncOptions } from '../src/index';
import { startDavServer, type TestDavOptions, type TestDavServer } from './support/davsync-server';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';

let tmp: string;
let dir: string;
let server: TestDavServer;
let remote: RemoteCollection;

async function setUp(options: TestDavOptions = {}) {
  server = await startDavServer(options);
  remote = new RemoteCollection({ url: server.url });
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'davsync-client-oc-'));
  dir = join(tmp, 'folder');
  await mkdir(dir);
});
afterEach(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

const sync = (extra: Partial<SyncOptions> = {}) => syncUntilAgreed({ dir, url: server.url, ...extra });
const requestsSince = (from: number, method: string) => server.requests.slice(from).filter((r) => r.method === method).map((r) => r.path);
const inode = async (path: string) => (await stat(join(dir, path), { bigint: true })).ino;

describe.each<TestDavOptions>([{}, { store: 'fs' }])('remote moves by oc:fileid (server %j)', (serverOptions) => {
  it('a remote MOVE of a file, and of a folder with files, is a local rename: nothing is downloaded', async () => {
    await setUp(serverOptions);
    await writeLocal(dir, 'made-here/a.txt', 'a from here');
    await writeLocal(dir, 'made-here/b.txt', 'b from here');
    await remote.mkcol('made-there');
    await putRemote(remote, tmp, 'made-there/c.txt', 'c from there');
    await putRemote(remote, tmp, 'single.txt', 'one file');
    expect((await sync()).agreed).toBe(true);
    const inodes = { a: await inode('made-here/a.txt'), c: await inode('made-there/c.txt'), single: await inode('single.txt') };

    const from = server.requests.length;
    await remote.move('single.txt', 'renamed.txt', {});
    await remote.move('made-here', 'moved-here', {}, true);
    await remote.move('made-there', 'moved-there', {}, true);
    const result = await sync();
    expect(result.agreed).toBe(true);
    expect(result.passes[0]!.counts).toMatchObject({ downloaded: 0, uploaded: 0, deletedLocal: 0 });
    expect(requestsSince(from, 'GET')).toEqual([]);
    expect(requestsSince(from, 'PUT')).toEqual([]);
    const expected = sorted({
      'moved-here': '/',
      'moved-here/a.txt': 'a from here',
      'moved-here/b.txt': 'b from here',
      'moved-there': '/',
      'moved-there/c.txt': 'c from there',
      'renamed.txt': 'one file',
    });
    expect(sorted(await localFiles(dir))).toEqual(expected);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(expected);
    // Renamed, not rewritten: the same files.
    expect({ a: await inode('moved-here/a.txt'), c: await inode('moved-there/c.txt'), single: await inode('renamed.txt') }).toEqual(inodes);
  });
});

describe('checksums', () => {
  it('a download whose bytes do not match oc:checksums is not installed, is reported, and is fetched again next pass', async () => {
    let corrupt = true;
    await setUp({
      before: async (req, res) => {
        if (req.method !== 'GET' || req.url !== '/data.bin' || !corrupt || req.headers['x-test-pass'] !== undefined) return false;
        // A broken transfer: the right headers (ETag, length), the wrong bytes.
        const real = await fetch(`${server.url}data.bin`, { headers: { 'x-test-pass': '1' } });
        const body = Buffer.from(await real.arrayBuffer());
        body[0] = body[0]! ^ 0xff;
        res.writeHead(200, { etag: real.headers.get('etag')!, 'content-length': String(body.length) }).end(body);
        return true;
      },
    });
    await putRemote(remote, tmp, 'data.bin', 'the real content');
    const first = await syncUntilAgreed({ dir, url: server.url }, 1);
    expect(first.agreed).toBe(false);
    const failed = first.passes[0]!.reports.filter((r) => r.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatch(/do not match the server's checksum \(SHA-1 [0-9a-f]{40}, received [0-9a-f]{40}\): not installed/);
    expect(await localFiles(dir)).toEqual({});
    corrupt = false;
    expect((await sync()).agreed).toBe(true);
    expect(await localFiles(dir)).toEqual({ 'data.bin': 'the real content' });
  });

  it('a file changed on both sides to the same bytes is no conflict, and is settled without a download', async () => {
    await setUp();
    await writeLocal(dir, 'same.txt', 'base');
    expect((await sync()).agreed).toBe(true);
    await writeLocal(dir, 'same.txt', 'both made this');
    await utimes(join(dir, 'same.txt'), 1_800_000_000, 1_800_000_000);
    await putRemote(remote, tmp, 'same.txt', 'both made this');
    const from = server.requests.length;
    const result = await sync();
    expect(result.agreed).toBe(true);
    expect(result.passes[0]!.reports.map((r) => [r.action.type, r.outcome])).toEqual([['conflict', 'same']]);
    expect(requestsSince(from, 'GET')).toEqual([]);
    expect(await localFiles(dir)).toEqual({ 'same.txt': 'both made this' });
    // Control: different bytes are a conflict, with the comparison download.
    await writeLocal(dir, 'same.txt', 'mine now');
    await utimes(join(dir, 'same.txt'), 1_800_000_100, 1_800_000_100);
    await putRemote(remote, tmp, 'same.txt', 'theirs now');
    const again = await sync();
    expect(again.passes[0]!.counts.conflicts).toBe(1);
  });

  it('uploads send X-OC-Mtime (the server keeps the file time) and OC-Checksum (the server verifies it)', async () => {
    const headers: IncomingMessage['headers'][] = [];
    await setUp({ before: (req) => void (req.method === 'PUT' && headers.push(req.headers)) });
    await writeLocal(dir, 'dated.txt', 'dated content');
    await utimes(join(dir, 'dated.txt'), 1_700_000_000.25, 1_700_000_000.25);
    expect((await sync()).agreed).toBe(true);
    expect(headers).toHaveLength(1);
    expect(headers[0]!['x-oc-mtime']).toBe('1700000000.250');
    expect(headers[0]!['oc-checksum']).toBe(`SHA1:${createHash('sha1').update('dated content').digest('hex')}`);
    expect((await remote.stat('dated.txt'))!.modified).toBe(1_700_000_000_000);
  });
});

describe('a file edited while it is being sent', () => {
  it('is refused by the server (OC-Checksum does not match the bytes), deferred, and sent whole next pass: never stored torn', async () => {
    const SIZE = 8 * 1024 * 1024;
    let edits = 0;
    await setUp({
      before: async (req) => {
        if (req.method !== 'PUT' || req.url !== '/big.bin' || edits > 0) return;
        edits++;
        // The client has hashed the file and is streaming it; the server has read nothing yet. The tail changes now.
        const handle = await open(join(dir, 'big.bin'), 'r+');
        await handle.write(Buffer.alloc(1024, 'B'), 0, 1024, SIZE - 1024);
        await handle.close();
      },
    });
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(SIZE, 'A'));
    const first = await syncUntilAgreed({ dir, url: server.url }, 1);
    expect(first.passes[0]!.reports.map((r) => [r.action.type, r.outcome, r.reason])).toEqual([['upload', 'deferred', 'changed here while it was sent']]);
    expect(await remote.stat('big.bin')).toBeUndefined();
    expect((await sync()).agreed).toBe(true);
    const expectedSha1 = createHash('sha1').update(Buffer.concat([Buffer.alloc(SIZE - 1024, 'A'), Buffer.alloc(1024, 'B')])).digest('hex');
    expect((await remote.stat('big.bin'))!.checksums?.sha1).toBe(expectedSha1);
  });
});

describe('same-tick edits', () => {
  it('a same-size edit that leaves size, mtime and inode as recorded is still uploaded (the recent identity was hashed)', async () => {
    await setUp();
    // A whole second, now: a time utimes can put back exactly (it takes seconds as a double).
    const tick = Math.floor(Date.now() / 1000);
    await writeLocal(dir, 'tick.txt', 'version 1');
    await utimes(join(dir, 'tick.txt'), tick, tick);
    expect((await sync()).agreed).toBe(true);
    const before = await stat(join(dir, 'tick.txt'), { bigint: true });
    // The worst case: rewritten in place, same size, and the time put back as it was.
    await writeFile(join(dir, 'tick.txt'), 'version 2');
    await utimes(join(dir, 'tick.txt'), tick, tick);
    const after = await stat(join(dir, 'tick.txt'), { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    const result = await sync();
    expect(result.passes[0]!.counts.uploaded).toBe(1);
    expect(await remoteFiles(remote, tmp)).toEqual({ 'tick.txt': 'version 2' });
  });

  it('an old file is not hashed again: its identity is trusted', async () => {
    await setUp();
    await writeLocal(dir, 'old.txt', 'version 1');
    await utimes(join(dir, 'old.txt'), 1_600_000_000, 1_600_000_000);
    expect((await sync()).agreed).toBe(true);
    // Same size, time put back: with a trusted (old) identity the edit is, as documented, not seen.
    await writeFile(join(dir, 'old.txt'), 'version 2');
    await utimes(join(dir, 'old.txt'), 1_600_000_000, 1_600_000_000);
    const result = await sync();
    expect(result.passes[0]!.actions).toEqual([]);
  });
});
