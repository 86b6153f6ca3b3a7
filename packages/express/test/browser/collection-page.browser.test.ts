/**
 * The collection page in a real browser: headless Chromium from Debian's
 * `chromium` package (`.ci/run` installs it), driven by playwright-core
 * (which downloads nothing here: it is pointed at that executable). The
 * server is davsync on loopback under `/dav`; the browser must never ask
 * for anything else (the page has no external assets), nor hit a CSP
 * violation or a script error.
 *
 * Skipped with a reason when `/usr/bin/chromium` is missing, except under
 * `CI`, where a missing browser is a failure.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../support/server';
import { mkcol, put } from '../support/dav';

const executablePath = '/usr/bin/chromium';
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
const title = present || inCi ? 'the collection page in headless Chromium' : `the collection page in headless Chromium (skipped: ${skipReason})`;
if (!present && !inCi) console.warn(`collection-page.browser.test.ts skipped: ${skipReason}`);

suite(title, () => {
  let s: TestServer;
  let browser: Browser | undefined;
  let dir: string;
  /** Every URL the browser asked for, and every console error and page error it met. */
  const requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!present) throw new Error(`CI is set but ${executablePath} is missing: .ci/run should have installed Debian's chromium`);
    dir = await mkdtemp(join(tmpdir(), 'davsync-browser-'));
    s = await startServer({ mount: '/dav' });
    await mkcol(`${s.url}/docs/`);
    await put(`${s.url}/docs/hello.txt`, 'Hello from davsync!\n', 'text/plain');
    await put(`${s.url}/readme.txt`, 'Read me.\n', 'text/plain');
    // Playwright makes (and removes) a fresh temporary --user-data-dir for
    // every launch; it refuses one given in `args`.
    browser = await chromium.launch({ executablePath, args, headless: true, timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function open(path: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await (browser as Browser).newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // Showing a file (not our page), the browser asks for the site's
      // /favicon.ico, outside the mount point; the page itself brings its own.
      if (m.location().url.endsWith('/favicon.ico') && !page.url().endsWith('/')) return;
      problems.push(`console: ${m.text()} (${m.location().url} on ${page.url()})`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    const response = await page.goto(`${s.url}${path}`);
    expect(response?.status()).toBe(200);
    return { context, page };
  }

  const memberNames = (page: Page): Promise<string[]> =>
    page.locator('#members tbody td.name > a:first-child').allTextContents();

  it('shows the listing, the sync token and the recent changes', async () => {
    const { context, page } = await open('/');
    try {
      expect(await page.title()).toBe('/dav/ · davsync');
      expect(await page.locator('h1').textContent()).toBe('/dav/');
      expect(await memberNames(page)).toEqual(['docs/', 'readme.txt']);
      const readme = page.locator('#members tr', { hasText: 'readme.txt' });
      expect(await readme.locator('td.type').textContent()).toBe('text/plain');
      expect(await readme.locator('td.num').getAttribute('title')).toBe('9 bytes');
      expect(await page.locator('#sync-token').textContent()).toBe(await s.engine.currentToken('/'));
      expect(await page.locator('#changes tbody tr').count()).toBe(3);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('follows a link into a sub-collection and back up the breadcrumb', async () => {
    const { context, page } = await open('/');
    try {
      await Promise.all([page.waitForURL(`${s.url}/docs/`), page.locator('#members a', { hasText: 'docs/' }).click()]);
      expect(await page.locator('h1').textContent()).toBe('docs');
      expect(await memberNames(page)).toEqual(['hello.txt']);
      expect(await page.locator('nav.crumbs a').allTextContents()).toEqual(['/dav', 'docs']);
      await Promise.all([page.waitForURL(`${s.url}/`), page.locator('a[rel="up"]').click()]);
      expect(await page.locator('h1').textContent()).toBe('/dav/');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('opens a file from its link and downloads it from its download link', async () => {
    const { context, page } = await open('/docs/');
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.dl').first().click()]);
      expect(download.suggestedFilename()).toBe('hello.txt');
      const saved = join(dir, 'hello.txt');
      await download.saveAs(saved);
      expect(await readFile(saved, 'utf8')).toBe('Hello from davsync!\n');
      await Promise.all([page.waitForURL(`${s.url}/docs/hello.txt`), page.locator('#members a', { hasText: 'hello.txt' }).first().click()]);
      expect(await page.locator('body').innerText()).toContain('Hello from davsync!');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows a file PUT by someone else after a reload, with a new token and the change on top', async () => {
    const { context, page } = await open('/docs/');
    try {
      const before = await page.locator('#sync-token').textContent();
      const r = await fetch(`${s.url}/docs/new%20%3Cfile%3E.txt`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'fresh' });
      expect(r.status).toBe(201);
      await page.reload();
      expect(await memberNames(page)).toEqual(['hello.txt', 'new <file>.txt']);
      const after = await page.locator('#sync-token').textContent();
      expect(after).not.toBe(before);
      expect(after).toBe(await s.engine.currentToken('/docs'));
      const newest = page.locator('#changes tbody tr').first();
      expect(await newest.locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d+$/), 'changed', 'new <file>.txt']);
      await Promise.all([page.waitForURL(/new%20%3Cfile%3E\.txt$/), newest.locator('a').click()]);
      expect(await page.locator('body').innerText()).toContain('fresh');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('renders to a non-empty PNG, on a desktop and a phone-sized viewport', async () => {
    const { context, page } = await open('/docs/');
    try {
      for (const [name, viewport] of [
        ['desktop', { width: 1200, height: 800 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        await page.setViewportSize(viewport);
        const file = join(dir, `collection-page-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        const png = await readFile(file);
        expect((await stat(file)).size).toBeGreaterThan(1000);
        expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
        // On a phone the page fits the width: nothing scrolls sideways but the tables' own boxes.
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect(overflow).toBe(0);
      }
    } finally {
      await context.close();
    }
  }, 60_000);

  it('asked the server for nothing but davsync pages and files, and met no CSP violation or error', () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => !u.startsWith(`${s.url}/`))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
