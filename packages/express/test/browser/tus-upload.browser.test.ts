/**
 * A browser upload through tus-js-client (its own browser bundle,
 * `dist/tus.min.js`) into davsync's tus endpoint: headless Chromium from
 * Debian's `chromium` package, driven by playwright-core, as in
 * `collection-page.browser.test.ts`. The page is served at the server's
 * origin by Playwright's request interception (so the upload is
 * same-origin, as an app served by the same host would make it). A File
 * of random bytes made in the page is uploaded in 1 MiB chunks, stopped
 * after the first chunk, found again through tus-js-client's
 * `findPreviousUploads` (its localStorage fingerprint, as a reloaded page
 * would) and resumed; the member's SHA-256 must equal the one the page
 * computed with WebCrypto.
 *
 * Skipped with a reason when `/usr/bin/chromium` is missing, except under
 * `CI`, where a missing browser is a failure.
 */
import { accessSync, constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type TestServer } from '../support/server';
import { mkcol } from '../support/dav';

const executablePath = '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const present = executable(executablePath);
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
const skipReason = `${executablePath} is missing; install Debian's chromium package (.ci/run does)`;
const suite = present || inCi ? describe : describe.skip;
if (!present && !inCi) console.warn(`tus-upload.browser.test.ts skipped: ${skipReason}`);

/** What the page reports. */
interface PageResult {
  readonly sha256: string;
  readonly firstUrl: string | null;
  readonly resumedUrl: string | null;
  readonly offsetAfterStop: number;
  readonly patchesAfterResume: number;
  readonly error?: string;
}

suite('a browser upload through tus-js-client', () => {
  let s: TestServer;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!present) throw new Error(`CI is set but ${executablePath} is missing: .ci/run should have installed Debian's chromium`);
    s = await startServer({ mount: '/dav', uploads: { tus: true } });
    await mkcol(`${s.url}/photos/`);
    browser = await chromium.launch({ executablePath, args, headless: true, timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  }, 60_000);

  it('uploads a File in chunks, stops, finds the upload again and resumes it; the member is the file', async () => {
    const context = await (browser as Browser).newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.route(`${s.origin}/app.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>upload</title>' }));
      await page.goto(`${s.origin}/app.html`);
      await page.addScriptTag({ path: require.resolve('tus-js-client/dist/tus.min.js') });
      const result = (await page.evaluate(async () => {
        type TusUpload = { url: string | null; start(): void; abort(): Promise<void>; findPreviousUploads(): Promise<unknown[]>; resumeFromPreviousUpload(u: unknown): void };
        const tus = (globalThis as unknown as { tus: { Upload: new (file: File, options: Record<string, unknown>) => TusUpload } }).tus;
        const bytes = new Uint8Array(3 * 1024 * 1024 + 7);
        for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
        const file = new File([bytes], 'holiday.jpg', { type: 'image/jpeg' });
        const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
        let patches = 0;
        const run = (stopAfterFirst: boolean) =>
          new Promise<{ upload: TusUpload; error?: string }>((resolve) => {
            const upload: TusUpload = new tus.Upload(file, {
              endpoint: '/dav/.tus/',
              chunkSize: 1024 * 1024,
              retryDelays: null,
              metadata: { path: '/photos/holiday.jpg', filetype: file.type },
              onBeforeRequest: (req: { getMethod(): string }) => {
                if (req.getMethod() === 'PATCH') patches++;
              },
              onChunkComplete: () => {
                if (stopAfterFirst) void upload.abort().then(() => resolve({ upload }));
              },
              onSuccess: () => resolve({ upload }),
              onError: (e: Error) => resolve({ upload, error: String(e) }),
            });
            if (stopAfterFirst) upload.start();
            else
              void upload.findPreviousUploads().then((previous) => {
                if (previous[0] !== undefined) upload.resumeFromPreviousUpload(previous[0]);
                upload.start();
              });
          });
        const first = await run(true);
        const head = await fetch(first.upload.url as string, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
        const offsetAfterStop = Number(head.headers.get('upload-offset'));
        patches = 0;
        const second = await run(false);
        return { sha256: digest, firstUrl: first.upload.url, resumedUrl: second.upload.url, offsetAfterStop, patchesAfterResume: patches, ...(second.error === undefined ? {} : { error: second.error }) };
      })) as PageResult;

      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.firstUrl).toMatch(/\/dav\/\.tus\/[A-Za-z0-9_-]{22}$/);
      expect(result.offsetAfterStop).toBe(1024 * 1024);
      // The same upload, resumed: only the three chunks left (1 MiB, 1 MiB, 7 bytes) were sent.
      expect(result.resumedUrl).toBe(result.firstUrl);
      expect(result.patchesAfterResume).toBe(3);
      const got = await fetch(`${s.url}/photos/holiday.jpg`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/jpeg');
      expect(createHash('sha256').update(Buffer.from(await got.arrayBuffer())).digest('hex')).toBe(result.sha256);
    } finally {
      await context.close();
    }
  }, 120_000);
});
