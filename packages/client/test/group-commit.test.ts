/**
 * Transfers several at a time, and their records written in groups
 * (`sync/group-commit.ts`): a pass stopped between a group's renames and
 * its record — the window grouping opens — fetches nothing again, sends
 * nothing again, makes no conflict copy, and converges. The failure is
 * injected at the folder fsync between the two (what a kill there leaves:
 * files in place, noted in `pending`, not yet in `synced`).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, jest } from '@jest/globals';
import { syncUntilAgreed, type RemoteCollection, type SyncOptions } from '../src/index';
import { LocalFolder } from '../src/local/local-files';
import { useClientFixture } from './support/client-fixture';
import type { TestDavServer } from './support/davsync-server';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';

const FILES = 40;
let tmp: string;
let dir: string;
let server: TestDavServer;
let remote: RemoteCollection;

useClientFixture('davsync-client-group-', (fx) => ({ tmp, dir, server, remote } = fx));

const sync = (extra: Partial<SyncOptions> = {}) => syncUntilAgreed({ dir, url: server.url, ...extra });
const requests = (method: string, from: number) => server.requests.slice(from).filter((r) => r.method === method).map((r) => r.path.slice(1));
const name = (i: number) => `d${i % 3}/f${String(i).padStart(2, '0')}.txt`;

/**
 * The folder fsync of every group that `fails` (given the folders it would fsync) fails from then on:
 * that group's files are renamed into place, and the pass stops before recording them.
 */
function failGroups(fails: (folders: string[]) => boolean): void {
  const real = LocalFolder.prototype.syncFolders;
  let failing = false;
  jest.spyOn(LocalFolder.prototype, 'syncFolders').mockImplementation(function (this: LocalFolder, paths) {
    failing ||= fails([...paths]);
    return failing ? Promise.reject(new Error('killed before the record')) : real.call(this, paths);
  });
}

function stateRows(table: 'pending' | 'synced'): string[] {
  const db = new Database(join(dir, '.davsync-client', 'state.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT path FROM ${table}`).all() as { path: string }[]).map((r) => r.path);
  } finally {
    db.close();
  }
}

describe('transfers at once, recorded in groups', () => {
  it('a first sync stopped between a group of downloads and its record fetches none of them again, and converges', async () => {
    const expected: Record<string, string> = { d0: '/', d1: '/', d2: '/' };
    for (let i = 0; i < FILES; i++) {
      if (i < 3) await remote.mkcol(`d${i}`);
      await putRemote(remote, tmp, name(i), `content ${i}`);
      expected[name(i)] = `content ${i}`;
    }
    // The first group holding a download (a file's folder to fsync, not only the root) fails.
    failGroups((folders) => folders.some((f) => f !== ''));
    await expect(sync({ transfers: 8 })).rejects.toThrow('killed before the record');
    jest.restoreAllMocks();

    const inPlace = Object.keys(await localFiles(dir)).filter((p) => p.endsWith('.txt'));
    const pending = stateRows('pending');
    // The window was hit: files in place that only `pending` knows of.
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((p) => inPlace.includes(p))).toBe(true);
    expect(stateRows('synced').filter((p) => pending.includes(p))).toEqual([]);

    const from = server.requests.length;
    const again = await sync({ transfers: 8 });
    expect(again.agreed).toBe(true);
    const fetched = requests('GET', from);
    expect(fetched.filter((p) => inPlace.includes(p))).toEqual([]);
    expect(sorted(Object.fromEntries(fetched.map((p) => [p, ''])))).toEqual(sorted(Object.fromEntries(Object.keys(expected).filter((p) => p.endsWith('.txt') && !inPlace.includes(p)).map((p) => [p, '']))));
    expect(requests('PUT', from)).toEqual([]);
    expect(sorted(await localFiles(dir))).toEqual(sorted(expected));
    expect(stateRows('pending')).toEqual([]);
  });

  it('a first upload stopped between a group of PUTs and its record sends nothing again, fetches nothing, and converges', async () => {
    const expected: Record<string, string> = { d0: '/', d1: '/', d2: '/' };
    for (let i = 0; i < FILES; i++) {
      await writeLocal(dir, name(i), `local ${i}`);
      expected[name(i)] = `local ${i}`;
    }
    // Every group fails (the folders made on the server, if they share the uploads' group, are recorded next pass).
    failGroups(() => true);
    const from = server.requests.length;
    await expect(sync({ transfers: 8 })).rejects.toThrow('killed before the record');
    jest.restoreAllMocks();
    const sent = requests('PUT', from);
    expect(sent.length).toBeGreaterThan(0);
    const recorded = stateRows('synced');
    const unrecorded = sent.filter((p) => !recorded.includes(p));
    expect(unrecorded.length).toBeGreaterThan(0);

    const again = server.requests.length;
    const second = await sync({ transfers: 8 });
    expect(second.agreed).toBe(true);
    // The server's checksums say it holds these bytes: no second PUT, no download to compare, no conflict copy.
    expect(requests('PUT', again).filter((p) => sent.includes(p))).toEqual([]);
    expect(requests('GET', again)).toEqual([]);
    expect(second.passes[0]?.counts.conflicts).toBe(0);
    expect(sorted(await localFiles(dir))).toEqual(sorted(expected));
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(sorted(expected));
  });

  it('a folder synced again from scratch over the same files: the same ones settled by checksum, nothing fetched or sent; the different ones kept both', async () => {
    const expected: Record<string, string> = { d0: '/', d1: '/', d2: '/' };
    for (let i = 0; i < FILES; i++) {
      if (i < 3) await remote.mkcol(`d${i}`);
      await putRemote(remote, tmp, name(i), `content ${i}`);
      await writeLocal(dir, name(i), i < 5 ? `mine ${i}` : `content ${i}`);
      expected[name(i)] = `content ${i}`;
    }
    const from = server.requests.length;
    const first = await sync({ transfers: 8, now: () => new Date('2026-12-02T08:00:00Z') });
    expect(first.agreed).toBe(true);
    expect(first.passes[0]?.counts).toMatchObject({ conflicts: 5, downloaded: 0, uploaded: 0, failed: 0 });
    const differing = Array.from({ length: 5 }, (_, i) => name(i));
    expect(requests('GET', from).sort()).toEqual(differing.sort());
    const sent = requests('PUT', from);
    expect(sent).toHaveLength(5);
    expect(sent.every((p) => p.includes('(conflict 2026-12-02 080000)'))).toBe(true);
    const files = await localFiles(dir);
    for (let i = 0; i < 5; i++) expected[name(i).replace('.txt', ' (conflict 2026-12-02 080000).txt')] = `mine ${i}`;
    expect(sorted(files)).toEqual(sorted(expected));
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(sorted(expected));
  });

  it('one transfer at a time (--transfers 1) syncs the same trees', async () => {
    for (let i = 0; i < 6; i++) await writeLocal(dir, name(i), `local ${i}`);
    await remote.mkcol('r');
    for (let i = 0; i < 6; i++) await putRemote(remote, tmp, `r/g${i}.txt`, `remote ${i}`);
    const first = await sync({ transfers: 1 });
    expect(first.agreed).toBe(true);
    expect(first.passes[0]?.counts).toMatchObject({ downloaded: 6, uploaded: 6, conflicts: 0, failed: 0 });
    expect(sorted(await localFiles(dir))).toEqual(sorted(await remoteFiles(remote, tmp)));
    expect(await readdir(join(dir, '.davsync-client', 'tmp'))).toEqual([]);
  });
});
