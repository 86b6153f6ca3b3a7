/**
 * Resumable uploads against the real `davsync serve DIR` (the fs store):
 *
 * - curl, a real client, creates an upload with the IETF headers, is killed
 *   half-way through its append, reads the offset with HEAD (`-I`) and resumes with `-C OFFSET`
 *   (`--continue-at`): it sends only the rest, and the member's sha256 is
 *   the source's;
 * - the server is SIGKILLed half-way through an upload and restarted on
 *   the same folder: HEAD gives the offset it kept, the upload resumes and
 *   completes, and all bytes sent stay within 1.51 × the file's size.
 *
 * The file is 16 MiB; DAVSYNC_RESUME_BYTES sets another size (1 GiB by hand:
 * DAVSYNC_RESUME_BYTES=1073741824).
 */
import { afterEach, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { randomFile, sha256OfUrl } from '../../client/test/support/big-files';
import { cleanup, runCommand, startServe, tempDir } from './support';

const SIZE = Number(process.env['DAVSYNC_RESUME_BYTES']) || 16 * 1024 * 1024;
const HALF = Math.floor(SIZE / 2);
const TIMEOUT = Math.max(120_000, (SIZE / (1024 * 1024)) * 2000);

afterEach(cleanup);

/** A file of SIZE random bytes and its sha256. */
async function sourceFile(dir: string): Promise<{ file: string; sha256: string }> {
  const file = join(dir, 'source.bin');
  return { file, sha256: await randomFile(file, SIZE) };
}

async function headOffset(url: string): Promise<{ status: number; offset: number }> {
  const res = await fetch(url, { method: 'HEAD' });
  return { status: res.status, offset: Number(res.headers.get('upload-offset')) };
}

/** Polls `check` every 50 ms for at most `ms`. */
async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

/** Runs curl to its end (within the test's bound); its exit code, stdout and stderr. */
async function curl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runCommand('curl', args);
  const { code } = await p.waitExit(TIMEOUT);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

it(
  'curl killed half-way resumes with --continue-at, sending only the rest; the member is the source',
  async () => {
    const dir = await tempDir();
    const { file, sha256 } = await sourceFile(dir);
    const server = await startServe([join(dir, 'served'), '--log-level', 'warn']);
    const target = `${server.url}big.bin`;

    // curl 7.88 does not surface a 104 while it is still sending, so it learns the
    // upload's URL the other way the draft offers: create it empty (Upload-Complete: ?0).
    const created = await curl(['-sS', '-X', 'PUT', '--data-binary', '', '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?0', '-H', 'Content-Type: application/octet-stream', '-D', '-', '-o', '/dev/null', target]);
    expect(created.stdout).toMatch(/^HTTP\/1\.1 201 /m);
    const location = /^location: (\S+)/im.exec(created.stdout)?.[1] as string;
    expect(location).toMatch(/\/\.uploads\/[A-Za-z0-9_-]{22}$/);

    // curl appends the whole file, reading it from stdin (chunked), so the test decides how much it gets: half.
    const child = spawn('curl', ['-sS', '-T', '-', '-X', 'PATCH', '-H', 'Expect:', '-H', 'Content-Type: application/partial-upload', '-H', 'Upload-Offset: 0', '-H', 'Upload-Complete: ?1', location], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const closed = new Promise((r) => child.once('close', r));
    const half = createReadStream(file, { start: 0, end: HALF - 1 });
    for await (const piece of half) if (!child.stdin!.write(piece)) await new Promise((r) => child.stdin!.once('drain', r));
    // Time for curl to hand what it read to the socket, then it dies.
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGKILL');
    await closed;

    // The server notices, keeps what arrived (fsynced), and reports it.
    await until(async () => (await headOffset(location)).offset === HALF);
    const head = await curl(['-sS', '-I', location]);
    expect(head.stdout).toMatch(/^upload-complete: \?0\r?$/im);
    const offset = Number(/^upload-offset: (\d+)/im.exec(head.stdout)?.[1]);
    expect(offset).toBeGreaterThanOrEqual(0.49 * SIZE);

    const resume = await curl(['-sS', '-T', file, '-C', String(offset), '-X', 'PATCH', '-H', 'Expect:', '-H', 'Content-Type: application/partial-upload', '-H', `Upload-Offset: ${offset}`, '-H', 'Upload-Complete: ?1', '-w', '%{http_code} %{size_upload}', location]);
    expect(resume.stderr).toBe('');
    const [status, sent] = resume.stdout.trim().split(' ').map(Number);
    expect(status).toBe(201);
    expect(sent).toBe(SIZE - offset);
    expect(sent).toBeLessThanOrEqual(0.51 * SIZE);
    expect(await sha256OfUrl(target)).toBe(sha256);
    expect((await headOffset(location)).status).toBe(404);
    if (process.env['DAVSYNC_RESUME_REPORT']) console.log(`curl: ${SIZE} bytes, killed at ${offset}, resumed with ${sent}`);
  },
  TIMEOUT,
);

it(
  'a server SIGKILLed half-way: restarted on the same folder, HEAD gives the kept offset, the upload resumes, ≤ 1.51 × the size sent in all',
  async () => {
    const dir = await tempDir();
    const { file, sha256 } = await sourceFile(dir);
    const folder = join(dir, 'served');
    const first = await startServe([folder, '--log-level', 'warn']);

    // A client that sends half the file at a steady pace (so the store checkpoints on the way), then waits.
    let sentFirst = 0;
    let location = '';
    const req = request(`${first.url}big.bin`, {
      method: 'PUT',
      headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
    });
    req.on('information', (info) => (location ||= String(info.headers['location'] ?? '')));
    req.on('error', () => undefined); // the server dies under it
    const pieces = 40;
    const piece = Math.ceil(HALF / pieces);
    for await (const chunk of createReadStream(file, { start: 0, end: HALF - 1, highWaterMark: piece })) {
      sentFirst += (chunk as Buffer).length;
      // Backpressure: counted as sent once the socket took it.
      if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', () => r()));
      await new Promise((r) => setTimeout(r, 40));
    }
    await until(async () => location !== '');
    await new Promise((r) => setTimeout(r, 700));
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    req.destroy();

    const second = await startServe([folder, '--log-level', 'warn']);
    const resumeUrl = `${second.url.replace(/\/$/, '')}${new URL(location).pathname}`;
    const { status, offset } = await headOffset(resumeUrl);
    expect(status).toBe(204);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(sentFirst);

    const sentSecond = SIZE - offset;
    const done = await new Promise<{ status: number; complete: string | undefined }>((resolve, reject) => {
      const resume = request(resumeUrl, {
        method: 'PATCH',
        headers: { 'content-type': 'application/partial-upload', 'upload-offset': String(offset), 'upload-complete': '?1', 'content-length': String(sentSecond) },
      });
      resume.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, complete: res.headers['upload-complete'] as string | undefined }));
      });
      resume.on('error', reject);
      createReadStream(file, { start: offset }).pipe(resume);
    });
    expect(done).toEqual({ status: 201, complete: '?1' });
    expect(await sha256OfUrl(`${second.url}big.bin`)).toBe(sha256);
    expect(sentFirst + sentSecond).toBeLessThanOrEqual(1.51 * SIZE);
    // The store recorded what arrived once the sender paused: the resume sends about the other half only.
    expect(sentSecond).toBeLessThanOrEqual(0.51 * SIZE);
    if (process.env['DAVSYNC_RESUME_REPORT']) console.log(`server kill: ${SIZE} bytes, ${sentFirst} sent before the kill, ${offset} kept, ${sentSecond} resumed, ${sentFirst + sentSecond} in all`);
  },
  TIMEOUT,
);
