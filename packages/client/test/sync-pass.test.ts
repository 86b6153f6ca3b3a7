/**
 * The whole pass against a davsync server (memory store): first sync both
 * ways, edits on both sides, a conflict, delete-versus-edit, the guards,
 * and that a pass re-downloads nothing it already has.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RemoteCollection, SyncRefused, SyncState, syncUntilAgreed, type SyncOptions } from '../src/index';
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
  tmp = await mkdtemp(join(tmpdir(), 'davsync-client-sync-'));
  dir = join(tmp, 'folder');
  await mkdir(dir);
});
afterEach(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

const clock = () => new Date('2026-12-02T08:00:00Z');
const sync = (extra: Partial<SyncOptions> = {}) => syncUntilAgreed({ dir, url: server.url, now: clock, ...extra });
const gets = () => server.requests.filter((r) => r.method === 'GET').map((r) => r.path);

/** Local mtimes have a resolution; make an edit visible even within the same tick. */
async function touch(path: string, seconds: number) {
  await utimes(join(dir, path), seconds, seconds);
}

describe.each<TestDavOptions>([{}, { store: 'fs' }, { store: 'postgres' }, { refuse: 'report' }])('davsync sync, one pass at a time (server %j)', (serverOptions) => {
  it('first sync goes both ways, and a second finds nothing to do and fetches nothing', async () => {
    await setUp(serverOptions);
    await writeLocal(dir, 'mine.txt', 'local one');
    await writeLocal(dir, 'sub/deep/l.txt', 'local deep');
    await remote.mkcol('rdir');
    await putRemote(remote, tmp, 'theirs.txt', 'remote one');
    await putRemote(remote, tmp, 'rdir/r.txt', 'remote deep');

    const first = await sync();
    expect(first.agreed).toBe(true);
    const expected = sorted({ 'mine.txt': 'local one', sub: '/', 'sub/deep': '/', 'sub/deep/l.txt': 'local deep', rdir: '/', 'rdir/r.txt': 'remote deep', 'theirs.txt': 'remote one' });
    expect(sorted(await localFiles(dir))).toEqual(expected);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(expected);

    const before = gets().length;
    const second = await sync();
    expect(second.passes).toHaveLength(1);
    expect(second.passes[0]!.actions).toEqual([]);
    expect(gets().length).toBe(before);
  });

  it('edits on both sides go across; a conflict keeps both; delete versus edit keeps the edit', async () => {
    await setUp(serverOptions);
    await writeLocal(dir, 'a.txt', 'a0');
    await writeLocal(dir, 'both.txt', 'base');
    await writeLocal(dir, 'gone-here.txt', 'g0');
    await writeLocal(dir, 'gone-there.txt', 'h0');
    expect((await sync()).agreed).toBe(true);

    await writeLocal(dir, 'a.txt', 'a1 local edit');
    await touch('a.txt', 1_800_000_000);
    await putRemote(remote, tmp, 'new-remote.txt', 'n');
    await writeLocal(dir, 'both.txt', 'local side');
    await touch('both.txt', 1_800_000_000);
    await putRemote(remote, tmp, 'both.txt', 'remote side');
    await unlink(join(dir, 'gone-here.txt'));
    await putRemote(remote, tmp, 'gone-here.txt', 'g1 remote edit');
    await remote.remove('gone-there.txt', {});
    await writeLocal(dir, 'gone-there.txt', 'h1 local edit');
    await touch('gone-there.txt', 1_800_000_000);

    const result = await sync();
    expect(result.agreed).toBe(true);
    expect(result.passes[0]!.counts).toMatchObject({ conflicts: 1, uploaded: 2, downloaded: 2 });
    const copy = 'both (conflict 2026-12-02 080000).txt';
    const expected = sorted({
      'a.txt': 'a1 local edit',
      'both.txt': 'remote side',
      [copy]: 'local side',
      'gone-here.txt': 'g1 remote edit',
      'gone-there.txt': 'h1 local edit',
      'new-remote.txt': 'n',
    });
    expect(sorted(await localFiles(dir))).toEqual(expected);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(expected);
  });
});

describe('davsync sync: crash between putting a download in place and recording it', () => {
  it('the next pass finds the file with the noted identity and does not fetch it again', async () => {
    await setUp();
    await putRemote(remote, tmp, 'big.bin', 'downloaded once');
    // The "kill": the process dies right after the rename, before the state update.
    const commit = jest.spyOn(SyncState.prototype, 'commitPending').mockImplementationOnce(() => {
      throw new Error('killed');
    });
    await expect(sync()).rejects.toThrow('killed');
    commit.mockRestore();
    expect(await localFiles(dir)).toEqual({ 'big.bin': 'downloaded once' });
    const before = gets().length;
    const next = await sync();
    expect(next.agreed).toBe(true);
    expect(next.passes[0]!.actions).toEqual([]);
    expect(gets().length).toBe(before);
  });
});

describe('davsync sync: moves', () => {
  it('a local rename (same inode) is one MOVE on the server, the content not sent again; a folder too', async () => {
    await setUp();
    await writeLocal(dir, 'old.txt', 'moved content');
    await writeLocal(dir, 'box/inside.txt', 'in the box');
    expect((await sync()).agreed).toBe(true);
    const from = server.requests.length;
    await rename(join(dir, 'old.txt'), join(dir, 'new.txt'));
    await rename(join(dir, 'box'), join(dir, 'crate'));
    const result = await sync();
    expect(result.agreed).toBe(true);
    expect(result.passes[0]!.counts).toMatchObject({ moved: 2, uploaded: 0, downloaded: 0 });
    const writes = server.requests.slice(from).filter((r) => !['PROPFIND', 'REPORT'].includes(r.method));
    expect(writes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['MOVE /box/', 'MOVE /old.txt']);
    const expected = sorted({ 'new.txt': 'moved content', crate: '/', 'crate/inside.txt': 'in the box' });
    expect(sorted(await localFiles(dir))).toEqual(expected);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(expected);
  });
});

describe('davsync sync: safety', () => {
  it('a name the server refuses is reported as failed; the rest of the pass goes on, and --once does not claim agreement', async () => {
    await setUp({
      before: (req, res) => {
        if (req.method !== 'PUT' || !req.url?.startsWith('/refused')) return false;
        res.writeHead(403, { 'x-davsync-reason': 'davsync: no such names here' }).end();
        return true;
      },
    });
    await writeLocal(dir, 'refused.txt', 'r');
    await writeLocal(dir, 'fine.txt', 'f');
    const result = await sync();
    expect(result.agreed).toBe(false);
    const first = result.passes[0]!;
    expect(first.counts).toMatchObject({ uploaded: 1, failed: 1 });
    expect(first.reports.find((r) => r.outcome === 'failed')).toMatchObject({ reason: expect.stringMatching(/^PUT http:.*\/refused\.txt: 403 Forbidden \(no such names here\)$/) });
    expect(await remoteFiles(remote, tmp)).toEqual({ 'fine.txt': 'f' });
  });

  it('a file created alike on both sides is not a conflict', async () => {
    await setUp();
    await writeLocal(dir, 'same.txt', 'identical');
    await putRemote(remote, tmp, 'same.txt', 'identical');
    const result = await sync();
    expect(result.passes[0]!.counts.conflicts).toBe(0);
    expect(sorted(await localFiles(dir))).toEqual({ 'same.txt': 'identical' });
  });

  it('refuses when the folder or the remote collection has vanished, changing nothing', async () => {
    await setUp();
    await expect(syncUntilAgreed({ dir: join(tmp, 'nope'), url: server.url })).rejects.toThrow(/does not exist or is not a folder: refusing to sync/);
    await expect(syncUntilAgreed({ dir, url: `${server.url}missing/` })).rejects.toThrow(/the remote collection .*missing\/ does not exist \(404\): refusing to sync/);
  });

  it('the mass-deletion guard stops a pass that would delete more than the limit', async () => {
    await setUp();
    for (let i = 0; i < 6; i++) await writeLocal(dir, `f${i}.txt`, `${i}`);
    await sync();
    for (let i = 0; i < 4; i++) await remote.remove(`f${i}.txt`, {});
    const err = await sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncRefused);
    expect((err as Error).message).toMatch(/would delete 4 of 6 synced files \(4 here, 0 on the server\), more than 50 %/);
    expect(Object.keys(await localFiles(dir))).toHaveLength(6); // nothing changed
    const allowed = await sync({ maxDeletePercent: 100 });
    expect(allowed.agreed).toBe(true);
    expect(Object.keys(await localFiles(dir)).sort()).toEqual(['f4.txt', 'f5.txt']);
  });

  it('a remote change after the listing is never overwritten: the 412 defers it, the next pass makes a conflict', async () => {
    let raced = false;
    await setUp({
      // Someone else writes x.txt just before our conditional PUT of it reaches the server.
      before: async (req) => {
        if (req.method !== 'PUT' || req.url !== '/x.txt' || req.headers['if-match'] === undefined || raced) return;
        raced = true;
        await putRemote(remote, tmp, 'x.txt', 'their v1');
      },
    });
    await writeLocal(dir, 'x.txt', 'v0');
    await sync();
    await writeLocal(dir, 'x.txt', 'local v1');
    await touch('x.txt', 1_800_000_000);
    const result = await sync();
    expect(raced).toBe(true);
    expect(result.passes[0]!.reports).toEqual([expect.objectContaining({ outcome: 'deferred', reason: 'changed on the server meanwhile (412)' })]);
    expect(result.agreed).toBe(true);
    const expected = { 'x.txt': 'their v1', 'x (conflict 2026-12-02 080000).txt': 'local v1' };
    expect(sorted(await localFiles(dir))).toEqual(sorted(expected));
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(sorted(expected));
  });
});

describe('a pass with nothing to do', () => {
  it('writes nothing to the state database', async () => {
    await setUp();
    for (let i = 0; i < 5; i++) {
      await writeLocal(dir, `d${i}/f${i}.txt`, `file ${i}`);
      await touch(`d${i}/f${i}.txt`, 1_700_000_000 + i); // long past: not "racy", so never hashed
    }
    expect((await sync()).agreed).toBe(true);
    const db = join(dir, '.davsync-client', 'state.db');
    const before = await readFile(db);
    const second = await sync();
    expect(second.passes).toHaveLength(1);
    expect(second.passes[0]!.actions).toEqual([]);
    // Byte for byte: SQLite bumps the header's change counter on any committed write.
    expect((await readFile(db)).equals(before)).toBe(true);
    expect((await readdir(join(dir, '.davsync-client'))).filter((n) => n.endsWith('-wal'))).toEqual([]);
  });
});
