/**
 * Address books and calendars as folders of `.vcf` / `.ics` files, against
 * Radicale and Xandikos started here (the same cases on each): the
 * server's members are mirrored; a local edit, a new file and a deletion
 * reach the server; a server-side edit reaches the folder; and then
 * `davsync sync --once --json` (the built CLI) finds nothing to do.
 *
 * Both servers store something other than what they are sent (bare LF line
 * ends come back as CRLF): the new local files here are written with LF on
 * purpose, so the test sees the server's version adopted locally rather
 * than a difference the state cannot see, or a loop.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemoteCollection, syncUntilAgreed } from '../src/index';
import { localFiles, putRemote, remoteFiles, sorted, writeLocal } from './support/trees';
import { radicaleMissing, startRadicale, type TestRadicale } from './support/radicale';
import { startXandikos, xandikosMissing, type TestXandikos } from './support/xandikos';

const CLI = join(__dirname, '..', '..', 'cli', 'bin', 'davsync.js');
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');

const vcard = (uid: string, name: string) => CRLF(`BEGIN:VCARD\nVERSION:3.0\nUID:${uid}\nFN:${name}\nN:${name};;;;\nEND:VCARD\n`);
const vevent = (uid: string, summary: string) =>
  CRLF(`BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//davsync//test//EN\nBEGIN:VEVENT\nUID:${uid}\nDTSTAMP:20260101T000000Z\nDTSTART:20260102T100000Z\nDTEND:20260102T110000Z\nSUMMARY:${summary}\nEND:VEVENT\nEND:VCALENDAR\n`);

interface Kind {
  readonly ext: '.vcf' | '.ics';
  readonly make: (uid: string, text: string) => string;
}
const CONTACTS: Kind = { ext: '.vcf', make: vcard };
const EVENTS: Kind = { ext: '.ics', make: vevent };

/** `davsync sync DIR URL --once --json`, the built CLI: its JSON lines. */
function cliSync(dir: string, url: string): Promise<{ code: number | null; passes: { agreed: boolean; actions: unknown[]; counts: Record<string, number> }[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sync', dir, url, '--once', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    child.stderr.on('data', (d: Buffer) => (err += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, passes: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), stderr: err });
    });
  });
}

/** The whole scenario on one collection; `count` members made on the server first. */
async function mirrorBothWays(url: string, kind: Kind, count: number, tmp: string): Promise<void> {
  const name = (i: number) => `m${String(i).padStart(2, '0')}${kind.ext}`;
  const dir = await mkdtemp(join(tmp, 'folder-'));
  const remote = new RemoteCollection({ url });
  for (let i = 0; i < count; i++) await putRemote(remote, tmp, name(i), kind.make(`m${i}`, `Member ${i}`));

  // 1. The server's members become files.
  const first = await syncUntilAgreed({ dir, url });
  expect(first.agreed).toBe(true);
  expect(first.passes[0]!.counts).toMatchObject({ downloaded: count, uploaded: 0, conflicts: 0 });
  expect(Object.keys(await localFiles(dir)).sort()).toEqual(Array.from({ length: count }, (_, i) => name(i)));
  expect(sorted(await localFiles(dir))).toEqual(sorted(await remoteFiles(remote, tmp)));

  // 2. Here: an edit, a new file (LF line ends: the server stores CRLF), a deletion. There: an edit.
  await writeLocal(dir, name(0), kind.make('m0', 'Member 0 edited here'));
  await utimes(join(dir, name(0)), 1_800_000_000, 1_800_000_000);
  const fresh = `new${kind.ext}`;
  await writeLocal(dir, fresh, kind.make('new', 'Made here').replace(/\r\n/g, '\n'));
  await unlink(join(dir, name(1)));
  await putRemote(remote, tmp, name(2), kind.make('m2', 'Member 2 edited on the server'));
  const second = await syncUntilAgreed({ dir, url });
  expect(second.agreed).toBe(true);
  expect(second.passes[0]!.counts).toMatchObject({ uploaded: 2, downloaded: 1, deletedRemote: 1, conflicts: 0, failed: 0, deferred: 0 });
  const server = await remoteFiles(remote, tmp);
  expect(sorted(await localFiles(dir))).toEqual(sorted(server));
  expect(server[name(1)]).toBeUndefined();
  expect(server[name(0)]).toContain('Member 0 edited here');
  expect(server[fresh]).toContain('Made here');
  expect(await readFile(join(dir, name(2)), 'utf8')).toContain('Member 2 edited on the server');
  // The server's version of the new file, adopted: CRLF, as it stores it.
  expect(await readFile(join(dir, fresh), 'utf8')).toBe(server[fresh]);

  // 3. Nothing left to do, as the CLI says it.
  const third = await cliSync(dir, url);
  expect(third.stderr).toBe('');
  expect(third.code).toBe(0);
  expect(third.passes).toHaveLength(1);
  expect(third.passes[0]).toMatchObject({ agreed: true, actions: [] });
  expect(Object.values(third.passes[0]!.counts).every((n) => n === 0)).toBe(true);
  await rm(dir, { recursive: true, force: true });
}

const cliMissing = existsSync(join(__dirname, '..', '..', 'cli', 'dist', 'index.js')) ? undefined : 'the CLI is not built (npx tsc -b)';
for (const [server, missing] of [
  ['Radicale', radicaleMissing() ?? cliMissing],
  ['Xandikos', xandikosMissing() ?? cliMissing],
] as const) {
  if (missing !== undefined) process.stderr.write(`skipping the ${server} folder tests: ${missing}\n`);
}


(radicaleMissing() ?? cliMissing ? describe.skip : describe)('address book and calendar folders against Radicale', () => {
  let server: TestRadicale;
  let tmp: string;
  beforeAll(async () => {
    server = await startRadicale();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-radicale-'));
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('20 contacts: mirrored, edited, added and deleted both ways; then nothing to do', () => mirrorBothWays(server.addressBook, CONTACTS, 20, tmp), 90_000);
  it('a calendar of events, the same', () => mirrorBothWays(server.calendar, EVENTS, 8, tmp), 90_000);

  it('members whose names are not file names (no extension) get local names, kept in the state, and every request goes to their own href', async () => {
    const dir = await mkdtemp(join(tmp, 'names-'));
    const put = async (segment: string, body: string) => {
      const res = await fetch(`${server.spareAddressBook}${segment}`, { method: 'PUT', headers: { 'content-type': 'text/vcard; charset=utf-8' }, body });
      expect(res.status).toBeLessThan(300);
    };
    await put('c-123', vcard('c-123', 'No Extension'));
    await put('x%3Ay', vcard('x-y', 'With A Colon'));
    await put('plain.vcf', vcard('plain', 'Plain'));
    expect((await syncUntilAgreed({ dir, url: server.spareAddressBook })).agreed).toBe(true);
    expect(Object.keys(await localFiles(dir)).sort()).toEqual(['c-123.vcf', 'plain.vcf', 'x:y.vcf']);
    expect(await readFile(join(dir, 'x:y.vcf'), 'utf8')).toContain('With A Colon');

    await writeLocal(dir, 'c-123.vcf', vcard('c-123', 'No Extension Edited'));
    await utimes(join(dir, 'c-123.vcf'), 1_800_000_000, 1_800_000_000);
    await put('x%3Ay', vcard('x-y', 'With A Colon Edited There'));
    const second = await syncUntilAgreed({ dir, url: server.spareAddressBook });
    expect(second.passes[0]!.counts).toMatchObject({ uploaded: 1, downloaded: 1, conflicts: 0, failed: 0 });
    expect(await (await fetch(`${server.spareAddressBook}c-123`)).text()).toContain('No Extension Edited');
    expect(await readFile(join(dir, 'x:y.vcf'), 'utf8')).toContain('With A Colon Edited There');
    // Nothing was created under the local names on the server.
    expect((await fetch(`${server.spareAddressBook}c-123.vcf`)).status).toBe(404);

    await unlink(join(dir, 'c-123.vcf'));
    const third = await syncUntilAgreed({ dir, url: server.spareAddressBook });
    expect(third.passes[0]!.counts).toMatchObject({ deletedRemote: 1, failed: 0 });
    expect((await fetch(`${server.spareAddressBook}c-123`)).status).toBe(404);
    const last = await cliSync(dir, server.spareAddressBook);
    expect(last.passes[0]).toMatchObject({ agreed: true, actions: [] });
    await rm(dir, { recursive: true, force: true });
  }, 90_000);
});

(xandikosMissing() ?? cliMissing ? describe.skip : describe)('address book and calendar folders against Xandikos', () => {
  let server: TestXandikos;
  let tmp: string;
  beforeAll(async () => {
    server = await startXandikos();
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-xandikos-folders-'));
    await mkdir(tmp, { recursive: true });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('20 contacts: mirrored, edited, added and deleted both ways; then nothing to do', () => mirrorBothWays(server.url, CONTACTS, 20, tmp), 90_000);
  it('a calendar of events, the same', () => mirrorBothWays(server.calendar, EVENTS, 8, tmp), 90_000);
});
