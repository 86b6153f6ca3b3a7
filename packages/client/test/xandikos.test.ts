/**
 * Against Xandikos, started here: a real RFC 6578 server other than ours.
 * It refuses `sync-level: infinite` with 400, so the feed falls back to
 * level 1; a folder of vCards is mirrored with its address book.
 */
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed, type RemoteChange } from '../src/index';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';
import { startXandikos, xandikosMissing, type TestXandikos } from './support/xandikos';

const missing = xandikosMissing();
if (missing !== undefined) process.stderr.write(`skipping the Xandikos tests: ${missing}\n`);
const describeXandikos = missing === undefined ? describe : describe.skip;

const vcard = (uid: string, name: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${name}\r\nN:${name};;;;\r\nEND:VCARD\r\n`;

describeXandikos('against Xandikos', () => {
  let server: TestXandikos;
  let tmp: string;
  beforeAll(async () => {
    server = await startXandikos();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-xandikos-'));
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('the feed falls back to level 1 and then reads deltas with Xandikos\' tokens', async () => {
    const remote = new RemoteCollection({ url: server.url });
    await putRemote(remote, tmp, 'one.vcf', vcard('one', 'One'));
    const changes: RemoteChange[] = [];
    let cursor;
    for await (const item of remote.changes()) {
      if (item.kind === 'changes') changes.push(...item.changes);
      else cursor = item.cursor;
    }
    expect(changes.map((c) => (c.type === 'changed' ? c.entry.path : `-${c.path}`))).toEqual(['one.vcf']);
    expect(cursor).toMatchObject({ mode: 'sync', scopes: { '': { level: '1' } } });

    await putRemote(remote, tmp, 'two.vcf', vcard('two', 'Two'));
    await remote.remove('one.vcf', {});
    const delta: string[] = [];
    for await (const item of remote.changes(cursor)) if (item.kind === 'changes') delta.push(...item.changes.map((c) => (c.type === 'changed' ? c.entry.path : `-${c.path}`)));
    expect(delta.sort()).toEqual(['-one.vcf', 'two.vcf']);
    await remote.remove('two.vcf', {});
  });

  it('davsync sync mirrors a folder of vCards with the address book, both ways', async () => {
    const dir = join(tmp, 'contacts');
    await mkdir(dir);
    const remote = new RemoteCollection({ url: server.url });
    await writeLocal(dir, 'alice.vcf', vcard('alice', 'Alice'));
    await putRemote(remote, tmp, 'bob.vcf', vcard('bob', 'Bob'));
    expect((await syncUntilAgreed({ dir, url: server.url })).agreed).toBe(true);
    const one = sorted({ 'alice.vcf': vcard('alice', 'Alice'), 'bob.vcf': vcard('bob', 'Bob') });
    expect(sorted(await localFiles(dir))).toEqual(one);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(one);

    await writeLocal(dir, 'alice.vcf', vcard('alice', 'Alice Liddell'));
    await utimes(join(dir, 'alice.vcf'), 1_800_000_000, 1_800_000_000);
    await putRemote(remote, tmp, 'bob.vcf', vcard('bob', 'Bob Dylan'));
    const second = await syncUntilAgreed({ dir, url: server.url });
    expect(second.agreed).toBe(true);
    expect(second.passes[0]!.counts).toMatchObject({ uploaded: 1, downloaded: 1, conflicts: 0 });
    const two = sorted({ 'alice.vcf': vcard('alice', 'Alice Liddell'), 'bob.vcf': vcard('bob', 'Bob Dylan') });
    expect(sorted(await localFiles(dir))).toEqual(two);
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(two);
  }, 30_000);
});
