/**
 * Against Apache httpd with mod_dav, started here: no sync-collection (a
 * REPORT is answered 501), so the feed walks with PROPFIND Depth 1; PUT
 * answers carry no ETag, and a fresh file's ETag is weak for a second.
 */
import { mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed, type FeedItem, type RemoteChange } from '../src/index';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';
import { apacheMissing, startApache, type TestApache } from './support/apache';

const missing = apacheMissing();
if (missing !== undefined) process.stderr.write(`skipping the Apache mod_dav tests: ${missing}\n`);
const describeApache = missing === undefined ? describe : describe.skip;

describeApache('RemoteCollection against Apache mod_dav', () => {
  let apache: TestApache;
  let tmp: string;
  let remote: RemoteCollection;

  beforeAll(async () => {
    apache = await startApache();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-apache-'));
    remote = new RemoteCollection({ url: apache.url });
  }, 20_000);
  afterAll(async () => {
    await apache?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  async function drain(cursor?: Parameters<RemoteCollection['changes']>[0]) {
    const changes: RemoteChange[] = [];
    for await (const item of remote.changes(cursor)) {
      if (item.kind === 'end') return { changes, end: item as Extract<FeedItem, { kind: 'end' }> };
      changes.push(...item.changes);
    }
    throw new Error('no end item');
  }

  it('falls back to a PROPFIND walk, listing every level, the collection itself left out', async () => {
    const file = join(tmp, 'src');
    await writeFile(file, 'hello apache');
    await remote.mkcol('sub');
    await remote.mkcol('sub/deeper');
    const written = await remote.upload('sub/deeper/a file.txt', file, { ifNoneMatch: '*' });
    // mod_dav sends no ETag with a PUT's answer: the client asked with PROPFIND.
    expect(written.etag).toMatch(/^"/);
    await remote.upload('top.txt', file, { ifNoneMatch: '*' });

    const { changes, end } = await drain();
    const listed = changes.map((c) => (c.type === 'changed' ? `${c.entry.kind}:${c.entry.path}:${c.entry.kind === 'file' ? c.entry.size : ''}` : '')).sort();
    expect(listed).toEqual(['dir:sub/deeper:', 'dir:sub:', 'file:sub/deeper/a file.txt:12', 'file:top.txt:12']);
    expect(end.cursor).toEqual({ mode: 'propfind' });
    expect(end.full).toEqual([{ path: '', recursive: true }]);
    // The ETags are the comparable (strong) form: stable across the weak-for-a-second window.
    expect(changes.every((c) => c.type !== 'changed' || !c.entry.etag?.startsWith('W/'))).toBe(true);
  });

  it('downloads, and refuses writes on a stale ETag with 412', async () => {
    const file = join(tmp, 'v1');
    await writeFile(file, 'version one');
    const v1 = await remote.upload('c.txt', file, { ifNoneMatch: '*' });
    await new Promise((r) => setTimeout(r, 1100)); // past mod_dav's weak-ETag second, so the next write gets another ETag
    await writeFile(file, 'version two!');
    const v2 = await remote.upload('c.txt', file, { ifMatch: v1.etag! });
    expect(v2.etag).not.toBe(v1.etag);
    await expect(remote.upload('c.txt', file, { ifMatch: v1.etag! })).rejects.toMatchObject({ kind: 'precondition', status: 412 });
    await expect(remote.upload('c.txt', file, { ifNoneMatch: '*' })).rejects.toMatchObject({ kind: 'precondition' });
    const out = join(tmp, 'out');
    await remote.download('c.txt', out);
    expect(await readFile(out, 'utf8')).toBe('version two!');
    // Within a second of its write, mod_dav's ETag is weak and If-Match (strong) fails: the executor defers, the next pass retries.
    await new Promise((r) => setTimeout(r, 1100));
    await remote.remove('c.txt', { ifMatch: v2.etag! });
    expect(await remote.stat('c.txt')).toBeUndefined();
  });

  it('davsync sync mirrors a folder with mod_dav both ways, conflicts included, over the PROPFIND walk', async () => {
    const base = new RemoteCollection({ url: apache.url });
    await base.mkcol('mirror');
    const url = `${apache.url}mirror/`;
    const target = new RemoteCollection({ url });
    const dir = join(tmp, 'folder');
    await mkdir(dir);
    const now = () => new Date('2026-12-02T09:00:00Z');
    await writeLocal(dir, 'docs/local.txt', 'from here');
    await writeLocal(dir, 'both.txt', 'base');
    await target.mkcol('srv');
    await putRemote(target, tmp, 'srv/remote.txt', 'from apache');
    const first = await syncUntilAgreed({ dir, url, now });
    expect(first.agreed).toBe(true);
    const one = sorted({ 'both.txt': 'base', docs: '/', 'docs/local.txt': 'from here', srv: '/', 'srv/remote.txt': 'from apache' });
    expect(sorted(await localFiles(dir))).toEqual(one);
    expect(sorted(await remoteFiles(target, tmp))).toEqual(one);

    await new Promise((r) => setTimeout(r, 1100)); // past mod_dav's one-second weak-ETag window, so a rewrite gets a new ETag
    await writeLocal(dir, 'both.txt', 'local edit');
    await utimes(join(dir, 'both.txt'), 1_800_000_000, 1_800_000_000);
    await putRemote(target, tmp, 'both.txt', 'apache edit');
    await unlink(join(dir, 'docs/local.txt'));
    const second = await syncUntilAgreed({ dir, url, now });
    expect(second.agreed).toBe(true);
    const two = sorted({ 'both.txt': 'apache edit', 'both (conflict 2026-12-02 090000).txt': 'local edit', docs: '/', srv: '/', 'srv/remote.txt': 'from apache' });
    expect(sorted(await localFiles(dir))).toEqual(two);
    expect(sorted(await remoteFiles(target, tmp))).toEqual(two);
  }, 30_000);
});
