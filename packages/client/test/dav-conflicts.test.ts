/**
 * A conflict on a contact or an event: the copy gets a UID of its own
 * (src/sync/conflict-uid.ts), because a CardDAV/CalDAV server refuses a
 * second member with the same UID. The rewrite itself by example, then the
 * whole conflict against Radicale started here (it answers a duplicate UID
 * with 409).
 */
import { mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed } from '../src/index';
import { replaceUid } from '../src/sync/conflict-uid';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';
import { radicaleMissing, startRadicale, type TestRadicale } from './support/radicale';
import { startDavServer, type TestDavServer } from './support/davsync-server';

const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');
const vcard = (uid: string, name: string) => CRLF(`BEGIN:VCARD\nVERSION:3.0\nUID:${uid}\nFN:${name}\nN:${name};;;;\nEND:VCARD\n`);
const vevent = (uid: string, summary: string) =>
  CRLF(`BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//davsync//test//EN\nBEGIN:VEVENT\nUID:${uid}\nDTSTAMP:20260101T000000Z\nDTSTART:20260102T100000Z\nDTEND:20260102T110000Z\nSUMMARY:${summary}\nEND:VEVENT\nEND:VCALENDAR\n`);

describe('replaceUid', () => {
  const mark = (old: string) => `${old}-x`;

  it('replaces the UID line, keeps every other byte and the CRLF line ends', () => {
    const text = vcard('abc', 'Ann');
    expect(replaceUid(text, mark)).toEqual({ text: text.replace('UID:abc\r\n', 'UID:abc-x\r\n'), from: 'abc', to: 'abc-x' });
  });

  it('unfolds a folded UID, keeps parameters, and writes it back on one line (LF file)', () => {
    const text = 'BEGIN:VCARD\nVERSION:4.0\nUID;VALUE=uri:urn:uuid:0123456789\n abcdef\nFN:Ann\nEND:VCARD\n';
    expect(replaceUid(text, mark)?.text).toBe('BEGIN:VCARD\nVERSION:4.0\nUID;VALUE=uri:urn:uuid:0123456789abcdef-x\nFN:Ann\nEND:VCARD\n');
  });

  it('gives every component of one event (a recurrence and its exception) the same new UID, and leaves other UIDs alone', () => {
    const text = CRLF(
      'BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:ev\nRRULE:FREQ=DAILY\nEND:VEVENT\nBEGIN:VEVENT\nUID:ev\nRECURRENCE-ID:20260103T100000Z\nEND:VEVENT\nBEGIN:VTODO\nUID:other\nRELATED-TO:ev\nEND:VTODO\nEND:VCALENDAR\n',
    );
    const out = replaceUid(text, mark)!;
    expect(out.text.match(/^UID:.*$/gm)).toEqual(['UID:ev-x', 'UID:ev-x', 'UID:other']);
    expect(out.text).toContain('RELATED-TO:ev\r\n');
    expect(out.text.length).toBe(text.length + 4);
  });

  it('no UID: undefined (nothing to clash)', () => {
    expect(replaceUid('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n', mark)).toBeUndefined();
    // A property that only starts with UID is not the UID.
    expect(replaceUid('BEGIN:VCARD\r\nUIDX:1\r\nEND:VCARD\r\n', mark)).toBeUndefined();
  });
});

const missing = radicaleMissing();
if (missing !== undefined) process.stderr.write(`skipping the Radicale conflict tests: ${missing}\n`);

(missing === undefined ? describe : describe.skip)('a conflict in an address book or a calendar, against Radicale', () => {
  let server: TestRadicale;
  let tmp: string;
  beforeAll(async () => {
    server = await startRadicale();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-dav-conflict-'));
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  const now = () => new Date('2026-12-02T09:00:00Z');

  for (const [what, collection, ext, make] of [
    ['a contact', () => server.spareAddressBook, '.vcf', vcard],
    ['an event', () => server.calendar, '.ics', vevent],
  ] as const) {
    it(`${what}: the copy is uploaded with a new UID, both versions end on both sides, the next pass has nothing to do`, async () => {
      const url = collection();
      const remote = new RemoteCollection({ url });
      const dir = await mkdtemp(join(tmp, 'folder-'));
      const name = `c1${ext}`;
      await putRemote(remote, tmp, name, make('c1', 'Original'));
      expect((await syncUntilAgreed({ dir, url, now })).agreed).toBe(true);

      await writeLocal(dir, name, make('c1', 'Edited here'));
      await utimes(join(dir, name), 1_800_000_000, 1_800_000_000);
      await putRemote(remote, tmp, name, make('c1', 'Edited there'));
      const second = await syncUntilAgreed({ dir, url, now });
      expect(second.passes[0]!.counts).toMatchObject({ conflicts: 1, failed: 0, deferred: 0 });
      expect(second.agreed).toBe(true);

      const copy = `c1 (conflict 2026-12-02 090000)${ext}`;
      const here = await localFiles(dir);
      expect(Object.keys(here).sort()).toEqual([copy, name].sort());
      expect(here[name]).toContain('Edited there');
      expect(here[name]).toMatch(/^UID:c1\r$/m);
      expect(here[copy]).toContain('Edited here');
      expect(here[copy]).toMatch(/^UID:c1-conflict-[0-9a-f]{12}\r$/m);
      expect(sorted(await remoteFiles(remote, tmp))).toEqual(sorted(here));

      const third = await syncUntilAgreed({ dir, url, now });
      expect(third.passes).toHaveLength(1);
      expect(third.passes[0]!.actions).toEqual([]);
      expect(await readFile(join(dir, copy), 'utf8')).toBe(here[copy]);
      await rm(dir, { recursive: true, force: true });
    }, 60_000);
  }
});

describe('a conflict on a .vcf in a plain WebDAV folder (a davsync server)', () => {
  let server: TestDavServer;
  let tmp: string;
  beforeAll(async () => {
    server = await startDavServer();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-plain-vcf-'));
  });
  afterAll(async () => {
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('leaves the copy as it was: one UID twice is no conflict in a folder of files', async () => {
    const now = () => new Date('2026-12-02T09:00:00Z');
    const remote = new RemoteCollection({ url: server.url });
    const dir = await mkdtemp(join(tmp, 'folder-'));
    await putRemote(remote, tmp, 'c1.vcf', vcard('c1', 'Original'));
    expect((await syncUntilAgreed({ dir, url: server.url, now })).agreed).toBe(true);
    await writeLocal(dir, 'c1.vcf', vcard('c1', 'Edited here'));
    await utimes(join(dir, 'c1.vcf'), 1_800_000_000, 1_800_000_000);
    await putRemote(remote, tmp, 'c1.vcf', vcard('c1', 'Edited there'));
    const second = await syncUntilAgreed({ dir, url: server.url, now });
    expect(second.passes[0]!.counts).toMatchObject({ conflicts: 1, failed: 0 });
    expect(await readFile(join(dir, 'c1 (conflict 2026-12-02 090000).vcf'), 'utf8')).toBe(vcard('c1', 'Edited here'));
    expect(sorted(await remoteFiles(remote, tmp))).toEqual(sorted(await localFiles(dir)));
  });
});
