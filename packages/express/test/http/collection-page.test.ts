/**
 * The HTML page a GET on a collection answers (`methods/collection-page.ts`),
 * over loopback HTTP under a `/dav` mount point: its structure, escaping of
 * hostile names, links that resolve, the sync token (the same as PROPFIND's),
 * recent changes, and paging through a collection larger than one page.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { MEMBERS_PER_PAGE } from '../../src/methods/collection-page';
import { startServer, type TestServer } from '../support/server';
import { D, dav, del, mkcol, propfind, propfindBody, put, textOf } from '../support/dav';

let s: TestServer;
beforeEach(async () => {
  s = await startServer({ mount: '/dav' });
});
afterEach(async () => {
  await s.close();
});

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (t: string): string => t.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] as string);

interface MemberRow {
  readonly kind: 'dir' | 'file';
  readonly href: string;
  readonly label: string;
  /** The exact size (title attribute), for files. */
  readonly bytes: string | undefined;
  readonly size: string;
  readonly type: string;
  readonly modified: string | undefined;
  readonly etag: string;
}

const MEMBER_ROW =
  /<tr class="(dir|file)"><td class="name"><a href="([^"]*)">([^<]*)<\/a>.*?<\/td><td class="num(?: muted)?"(?: title="([^"]*)")?>([^<]*)<\/td><td class="type">([^<]*)<\/td><td(?: class="when"><time datetime="([^"]*)">[^<]*<wbr>[^<]*<\/time>| class="muted">—)<\/td><td class="etag"><code title="([^"]*)">/g;

function memberRows(page: string): MemberRow[] {
  return [...page.matchAll(MEMBER_ROW)].map((m) => ({
    kind: m[1] as 'dir' | 'file',
    href: unescape(m[2] as string),
    label: unescape(m[3] as string),
    bytes: m[4] === undefined ? undefined : unescape(m[4]),
    size: unescape(m[5] as string),
    type: unescape(m[6] as string),
    modified: m[7],
    etag: unescape(m[8] as string),
  }));
}

interface ChangeRow {
  readonly revision: number;
  readonly type: string;
  readonly path: string;
  readonly href: string | undefined;
}

const CHANGE_ROW =
  /<tr><td class="num">(\d+)<\/td><td class="(changed|removed)">\w+<\/td><td class="name">(?:<a href="([^"]*)">([^<]*)<\/a>|<span class="gone">([^<]*)<\/span>)<\/td><\/tr>/g;

function changeRows(page: string): ChangeRow[] {
  return [...page.matchAll(CHANGE_ROW)].map((m) => ({
    revision: Number(m[1]),
    type: m[2] as string,
    path: unescape((m[4] ?? m[5]) as string),
    href: m[3] === undefined ? undefined : unescape(m[3]),
  }));
}

const tokenOf = (page: string): string | undefined => {
  const m = /<code class="token" id="sync-token">([^<]*)<\/code>/.exec(page);
  return m === null ? undefined : unescape(m[1] as string);
};

const hrefsOf = (page: string): string[] => [...page.matchAll(/href="([^"]*)"/g)].map((m) => unescape(m[1] as string));

async function page(path: string, headers: Record<string, string> = { accept: 'text/html' }): Promise<string> {
  const r = await dav(`${s.url}${path}`, 'GET', { headers });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
  return r.text;
}

async function propfindToken(path: string): Promise<string | undefined> {
  const ms = await propfind(`${s.url}${path}`, '0', propfindBody('<D:sync-token/>'));
  return textOf(ms.get(`/dav${path}`).prop(D('sync-token')));
}

describe('the collection page', () => {
  it('is a complete HTML document with a title, a breadcrumb and a heading', async () => {
    await mkcol(`${s.url}/docs/`);
    await mkcol(`${s.url}/docs/2024/`);
    const html = await page('/docs/2024/');
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toMatch(/<\/html>\n$/);
    expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(html).toContain('<title>/dav/docs/2024/ · davsync</title>');
    expect(html).toContain('<h1>2024</h1>');
    const crumbs = /<nav class="crumbs"[^>]*>(.*?)<\/nav>/.exec(html)?.[1];
    expect(crumbs).toBe(
      '<a href="/dav/">/dav</a>/<a href="/dav/docs/">docs</a>/<a href="/dav/docs/2024/" aria-current="page">2024</a>',
    );
    expect(html).toContain('<a href="/dav/docs/" rel="up">↑ Parent collection</a>');
  });

  it('a breadcrumb that reads as the path, with no mount point too (never `/ / names`)', async () => {
    const text = (html: string) => (/<nav class="crumbs"[^>]*>(.*?)<\/nav>/.exec(html)?.[1] ?? '').replace(/<[^>]*>/g, '');
    await mkcol(`${s.url}/names/`);
    await mkcol(`${s.url}/names/sub/`);
    expect(text(await page('/names/sub/'))).toBe('/dav/names/sub');
    expect(text(await page('/'))).toBe('/dav');
    const bare = await startServer();
    try {
      await mkcol(`${bare.url}/names/`);
      await mkcol(`${bare.url}/names/sub/`);
      const get = async (path: string) => (await dav(`${bare.url}${path}`, 'GET', { headers: { accept: 'text/html' } })).text;
      expect(text(await get('/'))).toBe('/');
      expect(text(await get('/names/'))).toBe('/names');
      expect(/<nav class="crumbs"[^>]*>(.*?)<\/nav>/.exec(await get('/names/sub/'))?.[1]).toBe(
        '<a href="/">/</a><a href="/names/">names</a>/<a href="/names/sub/" aria-current="page">sub</a>',
      );
    } finally {
      await bare.close();
    }
  });

  it('has no parent link at the root, and says when a collection is empty', async () => {
    const html = await page('/');
    expect(html).not.toContain('rel="up"');
    expect(html).toContain('<h1>/dav/</h1>');
    expect(html).toContain('This collection is empty.');
    expect(html).toContain('0 members');
  });

  it('lists collections first, then files, by name (numbers in names in numeric order)', async () => {
    for (const n of ['b.txt', 'a10.txt', 'a9.txt', 'B2.txt']) await put(`${s.url}/${n}`, n);
    for (const n of ['zeta', 'alpha']) await mkcol(`${s.url}/${n}/`);
    const rows = memberRows(await page('/'));
    expect(rows.map((r) => r.label)).toEqual(['alpha/', 'zeta/', 'a9.txt', 'a10.txt', 'b.txt', 'B2.txt']);
    expect(rows.map((r) => r.kind)).toEqual(['dir', 'dir', 'file', 'file', 'file', 'file']);
  });

  it('shows size, type, modification time and ETag as PROPFIND reports them', async () => {
    await put(`${s.url}/notes.txt`, 'x'.repeat(1536), 'text/plain');
    await put(`${s.url}/tiny.json`, '{}', 'application/json');
    await mkcol(`${s.url}/sub/`);
    const ms = await propfind(`${s.url}/`, '1');
    const rows = memberRows(await page('/'));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const entry = ms.get(row.href);
      expect(row.etag).toBe(textOf(entry.prop(D('getetag'))));
      const modified = textOf(entry.prop(D('getlastmodified')));
      expect(row.modified).toBe(new Date(modified as string).toISOString().replace('.000Z', 'Z'));
      if (row.kind === 'file') {
        expect(row.bytes).toBe(`${textOf(entry.prop(D('getcontentlength')))} bytes`);
        expect(row.type).toBe(textOf(entry.prop(D('getcontenttype'))));
      }
    }
    const [sub, notes, tiny] = rows as [MemberRow, MemberRow, MemberRow];
    expect(sub).toMatchObject({ label: 'sub/', href: '/dav/sub/', size: '—', type: 'folder', bytes: undefined });
    expect(notes).toMatchObject({ label: 'notes.txt', href: '/dav/notes.txt', size: '1.5 KiB', bytes: '1536 bytes' });
    expect(tiny).toMatchObject({ size: '2 B', bytes: '2 bytes' });
    expect(notes.modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('offers a download link for files', async () => {
    await put(`${s.url}/report.csv`, 'a,b\n', 'text/csv');
    expect(await page('/')).toContain('<a class="dl" href="/dav/report.csv" download title="Download report.csv"');
  });

  it('escapes hostile member names everywhere they appear', async () => {
    const names = ['<script>alert(1)<', '"><img src=x onerror=alert(2)>', "' onmouseover='alert(3)", 'a&amp;b'];
    for (const n of names) await put(`${s.url}/${encodeURIComponent(n)}`, 'pwned', 'text/html');
    await mkcol(`${s.url}/${encodeURIComponent('<b onclick=x>dir')}/`);
    const html = await page('/');
    expect(html).not.toMatch(/<script|<img|<b[ >]/i);
    expect(html).not.toContain("' onmouseover");
    const labels = memberRows(html).map((r) => r.label);
    expect(labels.sort()).toEqual([...names, '<b onclick=x>dir/'].sort());
    for (const row of memberRows(html)) expect((await dav(new URL(row.href, s.origin).href, 'GET')).status).toBe(200);
    expect(changeRows(html).map((c) => c.path).sort()).toEqual([...names, '<b onclick=x>dir/'].sort());
    // The sub-collection's own page: title, heading and breadcrumb carry the name too.
    const inner = await page(`/${encodeURIComponent('<b onclick=x>dir')}/`);
    expect(inner).not.toMatch(/<b[ >]/);
    expect(inner).toContain('<h1>&lt;b onclick=x&gt;dir</h1>');
    expect(inner).toContain('<title>/dav/&lt;b onclick=x&gt;dir/ · davsync</title>');
  });

  it('forbids scripts and external loads by Content-Security-Policy, and is never served from a stale cache', async () => {
    const r = await dav(`${s.url}/`, 'GET');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).not.toContain('script-src');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    // The collection's ETag does not follow its members, so it must not validate the listing.
    expect(r.headers.get('etag')).toBeNull();
    expect(r.text).not.toMatch(/<script|<link rel="stylesheet"|src="http|href="https?:/i);
  });

  it('links resolve under the mount point: breadcrumb, parent, members and recent changes', async () => {
    await mkcol(`${s.url}/a/`);
    await mkcol(`${s.url}/a/b/`);
    await put(`${s.url}/a/b/file%20one.txt`, 'one');
    await mkcol(`${s.url}/a/b/c/`);
    const url = `${s.url}/a/b/`;
    const html = await page('/a/b/');
    const hrefs = hrefsOf(html).filter((h) => !h.startsWith('data:'));
    expect(hrefs.length).toBeGreaterThanOrEqual(7);
    for (const h of hrefs) {
      expect(h.startsWith('/dav/')).toBe(true);
      const r = await dav(new URL(h, url).href, 'GET');
      expect(r.status).toBe(200);
    }
    expect(hrefs).toEqual(expect.arrayContaining(['/dav/', '/dav/a/', '/dav/a/b/', '/dav/a/b/c/', '/dav/a/b/file%20one.txt']));
    expect((await dav(new URL('/dav/a/b/file%20one.txt', url).href, 'GET')).text).toBe('one');
  });

  it('shows the sync token PROPFIND reports, before and after changes', async () => {
    await mkcol(`${s.url}/c/`);
    expect(tokenOf(await page('/'))).toBe(await propfindToken('/'));
    expect(tokenOf(await page('/c/'))).toBe(await propfindToken('/c/'));
    const before = tokenOf(await page('/c/'));
    await put(`${s.url}/c/new.txt`, 'new');
    const after = tokenOf(await page('/c/'));
    expect(after).not.toBe(before);
    expect(after).toBe(await propfindToken('/c/'));
    expect(tokenOf(await page('/'))).toBe(await propfindToken('/'));
  });

  it('lists recent changes, newest first, after PUT and DELETE, in and below the collection', async () => {
    await put(`${s.url}/keep.txt`, '1');
    await put(`${s.url}/gone.txt`, '1');
    await mkcol(`${s.url}/sub/`);
    await put(`${s.url}/sub/deep.txt`, '1');
    await put(`${s.url}/keep.txt`, '2');
    await del(`${s.url}/gone.txt`);
    const changes = changeRows(await page('/'));
    expect(changes.map((c) => `${c.type} ${c.path}`)).toEqual(['removed gone.txt', 'changed keep.txt', 'changed sub/deep.txt', 'changed sub/']);
    const revisions = changes.map((c) => c.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => b - a));
    expect(changes.find((c) => c.path === 'gone.txt')?.href).toBeUndefined();
    expect(changes.find((c) => c.path === 'sub/deep.txt')?.href).toBe('/dav/sub/deep.txt');
    // A sub-collection's page shows its own scope only.
    expect(changeRows(await page('/sub/')).map((c) => `${c.type} ${c.path}`)).toEqual(['changed deep.txt']);
  });

  it('shows at most 20 recent changes', async () => {
    for (let i = 0; i < 25; i++) await put(`${s.url}/f${i}.txt`, String(i));
    const changes = changeRows(await page('/'));
    expect(changes).toHaveLength(20);
    expect(changes[0]?.path).toBe('f24.txt');
    expect(changes[19]?.path).toBe('f5.txt');
  });

  it('is served whatever the Accept header says, and HEAD has the headers without a body', async () => {
    await put(`${s.url}/a.txt`, 'a');
    for (const accept of ['application/xml', '*/*', 'text/plain']) {
      expect(memberRows(await page('/', { accept })).map((r) => r.label)).toEqual(['a.txt']);
    }
    const head = await dav(`${s.url}/`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(head.text).toBe('');
  });

  it(`pages through a large collection ${MEMBERS_PER_PAGE} members at a time`, async () => {
    // Over the memory adapter whatever store the run uses: paging is the
    // middleware's, and 2 000 files on disk would only make the test slow.
    await s.close();
    s = await startServer({ mount: '/dav', adapter: new MemoryAdapter() });
    const count = 2 * MEMBERS_PER_PAGE + 50;
    await mkcol(`${s.url}/big/`);
    await mkcol(`${s.url}/big/zz-dir/`);
    for (let i = 0; i < count - 1; i++) await s.engine.write(`/big/m${i}.txt`, Readable.from([Buffer.from('x')]));
    const seen: string[] = [];
    let next: string | undefined = `${s.url}/big/`;
    const pagers: string[] = [];
    while (next !== undefined) {
      const r = await dav(next, 'GET');
      expect(r.status).toBe(200);
      seen.push(...memberRows(r.text).map((row) => row.label));
      pagers.push(/<p class="pager"><span>([^<]*)<\/span>/.exec(r.text)?.[1] ?? '');
      const link = /<a href="([^"]*)" rel="next">/.exec(r.text)?.[1];
      next = link === undefined ? undefined : new URL(unescape(link), next).href;
    }
    expect(pagers).toEqual([
      'Showing 1–1,000 of 2,050 members.',
      'Showing 1,001–2,000 of 2,050 members.',
      'Showing 2,001–2,050 of 2,050 members.',
    ]);
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
    expect(seen[0]).toBe('zz-dir/');
    expect(seen.slice(1, 4)).toEqual(['m0.txt', 'm1.txt', 'm2.txt']);
    expect(seen[count - 1]).toBe(`m${count - 2}.txt`);
    // A later page links back to the first; a cursor that names no member still works.
    const second = await dav(`${s.url}/big/?after=m999.txt`, 'GET');
    expect(second.text).toContain('<a href="/dav/big/">« First page</a>');
    expect(memberRows(second.text)[0]?.label).toBe('m1000.txt');
    expect(memberRows((await dav(`${s.url}/big/?after=m999x.txt`, 'GET')).text)[0]?.label).toBe('m1000.txt');
    // A malformed cursor is ignored: the first page.
    expect(memberRows((await dav(`${s.url}/big/?after=a%2Fb`, 'GET')).text)[0]?.label).toBe('zz-dir/');
  });
});
