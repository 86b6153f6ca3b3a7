/**
 * The HTML of the collection page: a pure rendering of a
 * {@link CollectionPage} (gathered by `methods/collection-page.ts`, which
 * knows no HTML) into chunks of markup. Every value is escaped through the
 * `html` template tag; the page has one inline style sheet, no script and
 * no external assets, and a Content-Security-Policy that allows exactly
 * that style sheet (see {@link PAGE_CSP}).
 */
import { createHash } from 'node:crypto';
import { html, Html } from './escape';

/** One member row. Hrefs are ready to use (mount point and encoding applied). */
export interface PageMember {
  readonly name: string;
  readonly href: string;
  readonly collection: boolean;
  readonly size?: number;
  readonly contentType?: string;
  readonly modified?: Date;
  /** The HTTP form, quotes included. */
  readonly etag: string;
  /** The locks whose scope includes the member (RFC 4918 lockdiscovery), when there are any. */
  readonly locks?: readonly PageLock[];
}

/** A lock shown beside a member: its scope and who holds it (plain text, escaped here). */
export interface PageLock {
  readonly scope: 'exclusive' | 'shared';
  readonly owner?: string;
}

/** One recent change; `href` only for members that still exist. */
export interface PageChange {
  readonly type: 'changed' | 'removed';
  /** Path relative to the collection (`sub/a.txt`, `sub/` for a collection). */
  readonly name: string;
  readonly href?: string;
  readonly revision: number;
}

export interface Crumb {
  readonly label: string;
  readonly href: string;
}

export interface CollectionPage {
  /** What the page is called: the collection's path with the mount point (`/dav/c/`). */
  readonly title: string;
  /** The collection's own name (`c`), or the title for the root. */
  readonly heading: string;
  /** From the root to the collection itself. */
  readonly crumbs: readonly Crumb[];
  readonly parentHref?: string;
  /** The members shown, in display order. */
  readonly members: readonly PageMember[];
  /** How many members sort before the first one shown (earlier pages). */
  readonly skipped: number;
  /** How many members the collection has. */
  readonly total: number;
  /** Link to the next page of members, when more follow. */
  readonly nextHref?: string;
  /** Link to the first page, when this is not it. */
  readonly firstHref?: string;
  /** The collection's current sync token, when the journal knows it. */
  readonly token?: string;
  readonly changes: readonly PageChange[];
  /** How many changes at most are shown (for the caption). */
  readonly changeLimit: number;
}

const CSS = [
  ':root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#fff;--soft:#f6f8fa;--link:#0969da;--rm:#cf222e;--ok:#1a7f37}',
  '@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--bg:#0d1117;--soft:#161b22;--link:#4493f8;--rm:#f85149;--ok:#3fb950}}',
  '*{box-sizing:border-box}',
  'body{margin:0 auto;max-width:68rem;padding:1.25rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}',
  'a{color:var(--link);text-decoration:none}a:hover,a:focus{text-decoration:underline}',
  '.crumbs{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}.crumbs a{padding:.1rem .15rem}',
  'h1{font-size:1.6rem;margin:.2rem 0 .8rem;overflow-wrap:anywhere}',
  'h2{font-size:1.1rem;margin:2rem 0 .4rem}',
  '.bar{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:baseline;margin:0 0 .6rem}',
  '.muted,.bar .count{color:var(--muted)}',
  '.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px}',
  'table{border-collapse:collapse;width:100%}',
  'th,td{text-align:left;padding:.45rem .7rem;border-top:1px solid var(--line);vertical-align:baseline}',
  'thead th{border-top:0;background:var(--soft);color:var(--muted);font-size:.8rem;font-weight:600;white-space:nowrap}',
  'tbody tr:hover{background:var(--soft)}',
  '.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}',
  '.name{overflow-wrap:anywhere;min-width:9rem}.dir .name a{font-weight:600}',
  '.dl{margin-left:.4rem;font-size:.8rem}',
  '.lock{margin-left:.5rem;font-size:.8rem;color:var(--muted);white-space:nowrap}',
  '.when{white-space:nowrap;font-variant-numeric:tabular-nums}.fit{width:1%;white-space:nowrap}',
  'code{font:.82rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}',
  '.etag code{display:inline-block;max-width:14ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}',
  '.token{display:block;padding:.6rem .8rem;background:var(--soft);border:1px solid var(--line);border-radius:8px;overflow-wrap:anywhere}',
  '.changed{color:var(--ok)}.removed{color:var(--rm)}.gone{text-decoration:line-through;color:var(--muted)}',
  '.pager{margin:.6rem 0;display:flex;flex-wrap:wrap;gap:.5rem 1rem}',
  'footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem}',
  '@media (max-width:40rem){body{padding:.75rem;font-size:14px}.type,.etag{display:none}th,td{padding:.4rem .5rem}.when{white-space:normal}}',
].join('');

/**
 * The page's Content-Security-Policy: nothing may load or run except the
 * inline style sheet above (by hash) and the empty `data:` favicon, so even
 * a mistake in escaping could not run a script.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src '${'sha256-' + createHash('sha256').update(CSS).digest('base64')}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Rows per chunk of the streamed body. */
const ROWS_PER_CHUNK = 100;

/** The page as chunks of markup: head, member rows in groups, the rest. */
export function* renderCollectionPage(page: CollectionPage): Generator<string> {
  yield top(page).value;
  if (page.members.length === 0) {
    yield html`<tr><td colspan="5" class="muted">${page.total === 0 ? 'This collection is empty.' : 'No more members.'}</td></tr>`.value;
  }
  for (let i = 0; i < page.members.length; i += ROWS_PER_CHUNK) {
    yield page.members
      .slice(i, i + ROWS_PER_CHUNK)
      .map((m) => memberRow(m).value)
      .join('\n');
  }
  yield bottom(page).value;
}

function top(page: CollectionPage): Html {
  // The breadcrumb reads as the path itself (`/dav/docs/2024`, `/notes`):
  // each part a link, joined by `/` — except after a part that already ends
  // in one (the root of an unmounted store is `/`), which would read `/ / notes`.
  const crumbs = page.crumbs.map((c, i) => {
    if (i === page.crumbs.length - 1) return html`<a href="${c.href}" aria-current="page">${c.label}</a>`;
    return c.label.endsWith('/') ? html`<a href="${c.href}">${c.label}</a>` : html`<a href="${c.href}">${c.label}</a>/`;
  });
  const parent = page.parentHref === undefined ? html`` : html`<a href="${page.parentHref}" rel="up">↑ Parent collection</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>${page.title} · davsync</title>
<style>${new Html(CSS)}</style>
</head>
<body>
<header>
<nav class="crumbs" aria-label="Breadcrumb">${crumbs}</nav>
<h1>${page.heading}</h1>
</header>
<main>
<p class="bar">${parent}<span class="count">${count(page.total, 'member')}</span></p>
<div class="scroll">
<table id="members">
<thead><tr><th scope="col">Name</th><th scope="col" class="num">Size</th><th scope="col" class="type">Type</th><th scope="col">Modified (UTC)</th><th scope="col" class="etag">ETag</th></tr></thead>
<tbody>
`;
}

function memberRow(m: PageMember): Html {
  const label = m.collection ? `${m.name}/` : m.name;
  const link = m.collection
    ? html`<a href="${m.href}">${label}</a>`
    : html`<a href="${m.href}">${label}</a><a class="dl" href="${m.href}" download title="Download ${m.name}" aria-label="Download ${m.name}">↓</a>`;
  const locks = (m.locks ?? []).map(
    (l) => html`<span class="lock" title="${`Locked (${l.scope})${l.owner === undefined ? '' : ` by ${l.owner}`}`}">🔒 ${l.owner ?? 'locked'}</span>`,
  );
  const size = m.collection || m.size === undefined ? html`<td class="num muted">—</td>` : html`<td class="num" title="${`${m.size} bytes`}">${humanSize(m.size)}</td>`;
  const type = m.collection ? 'folder' : (m.contentType ?? 'unknown');
  const when = isoUtc(m.modified);
  const modified = when === undefined ? html`<td class="muted">—</td>` : html`<td class="when"><time datetime="${when}">${when.slice(0, 10)}<wbr>${when.slice(10)}</time></td>`;
  return html`<tr class="${m.collection ? 'dir' : 'file'}"><td class="name">${link}${locks}</td>${size}<td class="type">${type}</td>${modified}<td class="etag"><code title="${m.etag}">${m.etag}</code></td></tr>`;
}

function bottom(page: CollectionPage): Html {
  const shown = page.members.length;
  const pager =
    page.nextHref === undefined && page.firstHref === undefined
      ? html``
      : html`<p class="pager"><span>Showing ${range(page.skipped, shown)} of ${count(page.total, 'member')}.</span>${
          page.firstHref === undefined ? html`` : html`<a href="${page.firstHref}">« First page</a>`
        }${page.nextHref === undefined ? html`` : html`<a href="${page.nextHref}" rel="next">Next page »</a>`}</p>`;
  const token =
    page.token === undefined
      ? html`<p class="muted">No sync token: the change journal does not know this collection yet.</p>`
      : html`<code class="token" id="sync-token">${page.token}</code>`;
  const changes =
    page.changes.length === 0
      ? html`<tr><td colspan="3" class="muted">No changes recorded.</td></tr>`
      : page.changes.map(changeRow);
  return html`</tbody>
</table>
</div>
${pager}
<section aria-labelledby="sync">
<h2 id="sync">Sync token</h2>
<p class="muted">The collection's current <code>DAV:sync-token</code> (RFC 6578): it changes whenever anything in or below this collection changes.</p>
${token}
<h2>Recent changes</h2>
<p class="muted">The latest ${page.changeLimit} changes in and below this collection, newest first (removals while their history is kept).</p>
<div class="scroll">
<table id="changes">
<thead><tr><th scope="col" class="num fit">Revision</th><th scope="col" class="fit">Change</th><th scope="col">Path</th></tr></thead>
<tbody>
${changes}
</tbody>
</table>
</div>
</section>
</main>
<footer>davsync · WebDAV with collection synchronization. This page is read-only; use a WebDAV client to change the collection.</footer>
</body>
</html>
`;
}

function changeRow(c: PageChange): Html {
  const path = c.href === undefined ? html`<span class="gone">${c.name}</span>` : html`<a href="${c.href}">${c.name}</a>`;
  return html`<tr><td class="num">${c.revision}</td><td class="${c.type}">${c.type}</td><td class="name">${path}</td></tr>\n`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `1536` → `1.5 KiB`: binary units, three significant digits at most. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 999.5 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** ISO 8601 in UTC to the second (`2024-05-01T12:34:56Z`), or undefined for a missing or invalid date. */
export function isoUtc(date: Date | undefined): string | undefined {
  if (date === undefined || Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const grouped = (n: number): string => n.toLocaleString('en-US');

function count(n: number, noun: string): string {
  return `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function range(skipped: number, shown: number): string {
  return shown === 0 ? 'none' : `${grouped(skipped + 1)}–${grouped(skipped + shown)}`;
}
