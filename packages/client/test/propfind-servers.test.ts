/**
 * Two-way sync with servers that have no sync-collection, started here:
 * `rclone serve webdav` (Debian rclone 1.60) and nephele (npm) — the feed
 * falls back to the PROPFIND walk every pass. What each server does differently is in
 * docs/client.md's server table; the tests below pin the behaviour the
 * client relies on and the quirks it has to live with.
 */
import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed, type FeedItem, type RemoteChange } from '../src/index';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';
import { nepheleMissing, startNephele } from './support/nephele';
import { rcloneMissing, startRcloneServe } from './support/rclone-serve';

interface Launched {
  readonly url: string;
  /** The served folder on disk, for edits behind the server's back. */
  readonly docs: string;
  close(): Promise<void>;
}

interface ServerUnderTest {
  readonly name: string;
  readonly missing: string | undefined;
  readonly start: () => Promise<Launched>;
  /** Whether the server refuses a PUT whose If-Match no longer holds (the check the client's uploads rely on). */
  readonly honoursIfMatch: boolean;
}

const servers: ServerUnderTest[] = [
  { name: 'rclone serve webdav', missing: rcloneMissing(), start: startRcloneServe, honoursIfMatch: false },
  { name: 'nephele', missing: nepheleMissing(), start: startNephele, honoursIfMatch: true },
];

for (const s of servers) {
  if (s.missing !== undefined) process.stderr.write(`skipping the ${s.name} tests: ${s.missing}\n`);
  (s.missing === undefined ? describe : describe.skip)(`davsync sync against ${s.name} (no sync-collection)`, () => {
    let server: Launched;
    let tmp: string;

    beforeAll(async () => {
      server = await s.start();
      tmp = await mkdtemp(join(tmpdir(), 'davsync-client-propfind-'));
    }, 20_000);
    afterAll(async () => {
      await server?.close();
      if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    });

    async function drain(remote: RemoteCollection): Promise<{ changes: RemoteChange[]; end: Extract<FeedItem, { kind: 'end' }> }> {
      const changes: RemoteChange[] = [];
      for await (const item of remote.changes()) {
        if (item.kind === 'end') return { changes, end: item };
        changes.push(...item.changes);
      }
      throw new Error('no end item');
    }

    it('the feed walks with PROPFIND: every level listed, the collection itself left out', async () => {
      const base = new RemoteCollection({ url: server.url });
      await base.mkcol('walk');
      const remote = new RemoteCollection({ url: `${server.url}walk/` });
      await remote.mkcol('sub');
      await putRemote(remote, tmp, 'sub/a file.txt', 'hello');
      await putRemote(remote, tmp, 'top.txt', 'top');
      const { changes, end } = await drain(remote);
      const listed = changes.map((c) => (c.type === 'changed' ? `${c.entry.kind}:${c.entry.path}` : `-${c.path}`)).sort();
      expect(listed).toEqual(['dir:sub', 'file:sub/a file.txt', 'file:top.txt']);
      expect(end.cursor).toEqual({ mode: 'propfind' });
      expect(changes.every((c) => c.type !== 'changed' || c.entry.kind === 'dir' || c.entry.etag !== undefined)).toBe(true);
    });

    it(`${s.honoursIfMatch ? 'refuses' : 'ignores (a documented quirk)'} If-Match on PUT`, async () => {
      const remote = new RemoteCollection({ url: server.url });
      const file = join(tmp, 'cond');
      await writeFile(file, 'v1');
      const v1 = await remote.upload('cond.txt', file, { ifNoneMatch: '*' });
      await writeFile(file, 'v2, longer');
      await remote.upload('cond.txt', file, { ifMatch: v1.etag! });
      const stale = remote.upload('cond.txt', file, { ifMatch: v1.etag! });
      if (s.honoursIfMatch) await expect(stale).rejects.toMatchObject({ status: 412 });
      else await expect(stale).resolves.toBeDefined();
    });

    it('mirrors both ways: new files, edits, deletions on each side, a conflict, edits made behind the server', async () => {
      const base = new RemoteCollection({ url: server.url });
      await base.mkcol('mirror');
      const url = `${server.url}mirror/`;
      const target = new RemoteCollection({ url });
      const dir = join(tmp, 'folder');
      await mkdir(dir);
      const now = () => new Date('2026-12-02T09:00:00Z');
      await writeLocal(dir, 'docs/local.txt', 'from here');
      await writeLocal(dir, 'both.txt', 'base');
      await writeLocal(dir, 'gone-there.txt', 'to be deleted on the server');
      await target.mkcol('srv');
      await putRemote(target, tmp, 'srv/remote.txt', 'from the server');
      await putRemote(target, tmp, 'gone-here.txt', 'to be deleted here');
      const first = await syncUntilAgreed({ dir, url, now });
      expect(first.agreed).toBe(true);
      const one = sorted({
        'both.txt': 'base',
        docs: '/',
        'docs/local.txt': 'from here',
        'gone-here.txt': 'to be deleted here',
        'gone-there.txt': 'to be deleted on the server',
        srv: '/',
        'srv/remote.txt': 'from the server',
      });
      expect(sorted(await localFiles(dir))).toEqual(one);
      expect(sorted(await remoteFiles(target, tmp))).toEqual(one);

      await writeLocal(dir, 'both.txt', 'local edit');
      await utimes(join(dir, 'both.txt'), 1_800_000_000, 1_800_000_000);
      await putRemote(target, tmp, 'both.txt', 'server edit');
      await unlink(join(dir, 'gone-here.txt'));
      await target.remove('gone-there.txt', {});
      // Behind the server's back: a new file and an edit straight in the served folder.
      await writeFile(join(server.docs, 'mirror', 'srv', 'behind.txt'), 'written on the server disk');
      await writeFile(join(server.docs, 'mirror', 'srv', 'remote.txt'), 'edited on the server disk');
      await writeLocal(dir, 'docs/new.txt', 'new here');
      const second = await syncUntilAgreed({ dir, url, now });
      expect(second.agreed).toBe(true);
      const two = sorted({
        'both.txt': 'server edit',
        'both (conflict 2026-12-02 090000).txt': 'local edit',
        docs: '/',
        'docs/local.txt': 'from here',
        'docs/new.txt': 'new here',
        srv: '/',
        'srv/behind.txt': 'written on the server disk',
        'srv/remote.txt': 'edited on the server disk',
      });
      expect(sorted(await localFiles(dir))).toEqual(two);
      expect(sorted(await remoteFiles(target, tmp))).toEqual(two);

      // And a pass with nothing changed changes nothing.
      const third = await syncUntilAgreed({ dir, url, now });
      expect(third.passes).toHaveLength(1);
      expect(third.passes[0]!.actions).toEqual([]);
    }, 30_000);
  });
}
