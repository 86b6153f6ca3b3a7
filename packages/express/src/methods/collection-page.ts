/**
 * GET/HEAD on a collection: a read-only HTML page for people with a
 * browser (the markup itself is in `html/collection-page.ts`; this module
 * gathers what it shows). Every GET of a collection gets the page, whatever
 * its Accept header says: WebDAV defines no other GET representation of a
 * collection, and clients that sync use PROPFIND and REPORT.
 *
 * - Members are sorted collections first, then by name (numeric-aware,
 *   then by code point, so the order is total), and shown at most
 *   {@link MEMBERS_PER_PAGE} at a time. Further pages are reached with
 *   `?after=<name>` (`<name>/` for a collection), a keyset cursor: each page
 *   costs one pass over the adapter's listing with O(page) memory, however
 *   large the collection, and stays correct while members come and go.
 *   Rows are streamed out in chunks, never built as one string.
 * - The sync token and the recent changes (`SyncEngine.recentChanges`, the
 *   latest {@link RECENT_CHANGES} in and below the collection) come from one
 *   read of the journal, so they agree with each other.
 * - A member in the scope of a lock is marked with the lock's owner
 *   (two lock-store lookups per page, see `locksOfMembers`).
 * - The page carries no ETag or Last-Modified, and `Cache-Control:
 *   no-cache`: the collection's ETag does not change when members do, so it
 *   cannot validate a listing, and a reload must always show the present.
 */
import { baseName, parentOf, ROOT, type ActiveLock, type Entry } from '@davsync/core';
import type { DavContext } from '../context';
import type { DavResponse } from '../dav-request';
import { PAGE_CSP, renderCollectionPage, type CollectionPage, type Crumb, type PageChange, type PageLock, type PageMember } from '../html/collection-page';
import { ownerLabel } from '../locks/lock-owner';
import { quoteEtag } from '../properties/entry-properties';

/** Members shown per page. */
export const MEMBERS_PER_PAGE = 1000;
/** Recent changes shown. */
export const RECENT_CHANGES = 20;

export async function collectionPage(ctx: DavContext, entry: Entry): Promise<DavResponse> {
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (ctx.req.method === 'HEAD') return { status: 200, headers };
  const page = await gather(ctx, entry.path);
  return { status: 200, headers, body: chunks(renderCollectionPage(page)) };
}

async function* chunks(parts: Iterable<string>): AsyncGenerator<string> {
  yield* parts;
}

/** A member's place in the listing's order. Names within a collection are unique, so the order is total. */
interface SortKey {
  readonly name: string;
  readonly collection: boolean;
}

const collator = new Intl.Collator('en', { numeric: true });

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.collection !== b.collection) return a.collection ? -1 : 1;
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

async function gather(ctx: DavContext, path: string): Promise<CollectionPage> {
  const after = cursorOf(ctx.req.url);
  const { shown, skipped, total } = await selectMembers(ctx, path, after);
  const self = ctx.href(path, true);
  const last = shown[shown.length - 1];
  const more = total - skipped > shown.length;
  const recent = await recentChanges(ctx, path);
  const locks = await locksOfMembers(ctx, path, shown);
  const parent = parentOf(path);
  return {
    title: displayPath(ctx, path),
    heading: path === ROOT ? displayPath(ctx, path) : baseName(path),
    crumbs: crumbsOf(ctx, path),
    ...(parent === undefined ? {} : { parentHref: ctx.href(parent, true) }),
    members: shown.map(
      (m): PageMember => ({
        name: baseName(m.path),
        href: ctx.href(m.path, m.collection),
        collection: m.collection,
        etag: quoteEtag(m.etag),
        ...(m.size === undefined ? {} : { size: m.size }),
        ...(m.contentType === undefined ? {} : { contentType: m.contentType }),
        ...(m.modified === undefined ? {} : { modified: m.modified }),
        ...(locks.has(m.path) ? { locks: locks.get(m.path) } : {}),
      }),
    ),
    skipped,
    total,
    ...(more && last !== undefined ? { nextHref: `${self}?after=${encodeURIComponent(baseName(last.path) + (last.collection ? '/' : ''))}` } : {}),
    ...(after === undefined ? {} : { firstHref: self }),
    ...(recent === undefined ? {} : { token: recent.token }),
    changes: (recent?.changes ?? []).map(
      (c): PageChange => ({
        type: c.type,
        name: relativeName(path, c.path) + (c.collection ? '/' : ''),
        revision: c.revision,
        ...(c.type === 'changed' ? { href: ctx.href(c.path, c.collection) } : {}),
      }),
    ),
    changeLimit: RECENT_CHANGES,
  };
}

/**
 * The locks on the members shown, in two lookups whatever the page size:
 * the depth-infinity locks covering the collection (they cover every
 * member) and the locks rooted below it, of which those rooted at a shown
 * member are its own. A lock deeper down does not lock the member that
 * contains it (RFC 4918 §7), so it is not shown here but on its own page.
 */
async function locksOfMembers(ctx: DavContext, path: string, shown: readonly Entry[]): Promise<Map<string, PageLock[]>> {
  const out = new Map<string, PageLock[]>();
  const around = (await ctx.engine.locks.locksCovering(path)).filter((l) => l.depth === 'infinity');
  const below = await ctx.engine.locks.locksBelow(path);
  if (around.length === 0 && below.length === 0) return out;
  const byRoot = new Map<string, ActiveLock[]>();
  for (const lock of below) byRoot.set(lock.root, [...(byRoot.get(lock.root) ?? []), lock]);
  for (const m of shown) {
    const held = [...around, ...(byRoot.get(m.path) ?? [])];
    if (held.length === 0) continue;
    out.set(
      m.path,
      await Promise.all(held.map(async (l): Promise<PageLock> => {
        const owner = await ownerLabel(l);
        return { scope: l.scope, ...(owner === undefined ? {} : { owner }) };
      })),
    );
  }
  return out;
}

/**
 * The collection's recent changes the user may read. With an `authorize`
 * hook a removal is shown only if the user may read that path, like a
 * change; the page may then list fewer than the limit.
 */
async function recentChanges(ctx: DavContext, path: string) {
  const recent = await ctx.engine.recentChanges(path, { limit: RECENT_CHANGES, level: 'infinite' });
  if (recent === undefined || !ctx.restricted) return recent;
  const changes = [];
  for (const c of recent.changes) if (await ctx.may('read', c.path)) changes.push(c);
  return { ...recent, changes };
}

/**
 * One pass over the listing: counts every member, skips those at or before
 * the cursor, and keeps the first {@link MEMBERS_PER_PAGE} after it (sorting
 * and cutting whenever twice that many are held, so memory stays O(page)).
 */
async function selectMembers(
  ctx: DavContext,
  path: string,
  after: SortKey | undefined,
): Promise<{ shown: Entry[]; skipped: number; total: number }> {
  const byKey = (a: Keyed, b: Keyed) => compareKeys(a.key, b.key);
  let kept: Keyed[] = [];
  let skipped = 0;
  let total = 0;
  for await (const entry of ctx.engine.adapter.list(path, ctx.readOptions())) {
    if (!(await ctx.may('read', entry.path))) continue;
    total++;
    const key: SortKey = { name: baseName(entry.path), collection: entry.collection };
    if (after !== undefined && compareKeys(key, after) <= 0) {
      skipped++;
      continue;
    }
    kept.push({ key, entry });
    if (kept.length >= 2 * MEMBERS_PER_PAGE) kept = kept.sort(byKey).slice(0, MEMBERS_PER_PAGE);
  }
  return { shown: kept.sort(byKey).slice(0, MEMBERS_PER_PAGE).map((k) => k.entry), skipped, total };
}

interface Keyed {
  readonly key: SortKey;
  readonly entry: Entry;
}

/** The `after` cursor of the query, if it is a member name (with `/` for a collection); anything else is ignored. */
function cursorOf(url: string): SortKey | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  let value: string | null;
  try {
    value = new URLSearchParams(url.slice(q + 1)).get('after');
  } catch {
    return undefined;
  }
  if (value === null) return undefined;
  const collection = value.endsWith('/');
  const name = collection ? value.slice(0, -1) : value;
  if (name === '' || name.includes('/')) return undefined;
  return { name, collection };
}

/** The collection's path as people see it, mount point included (`/dav/c/`). */
function displayPath(ctx: DavContext, path: string): string {
  return decodeSafely(ctx.href(path, true));
}

/** Links to the root (labelled with the mount point, or `/`) and to every ancestor, down to the collection. */
function crumbsOf(ctx: DavContext, path: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: ctx.req.base === '' ? '/' : decodeSafely(ctx.req.base), href: ctx.href(ROOT, true) }];
  let prefix = '';
  for (const segment of path.split('/').filter((s) => s !== '')) {
    prefix += `/${segment}`;
    crumbs.push({ label: segment, href: ctx.href(prefix, true) });
  }
  return crumbs;
}

function relativeName(collection: string, path: string): string {
  return collection === ROOT ? path.slice(1) : path.slice(collection.length + 1);
}

function decodeSafely(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}
