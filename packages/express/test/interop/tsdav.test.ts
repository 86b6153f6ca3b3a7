/**
 * The npm `tsdav` client (a WebDAV/CalDAV/CardDAV client no one here wrote)
 * syncing an address-book-like collection of vCards with RFC 6578
 * `sync-collection`: an initial sync, a delta after adds, changes and
 * deletes, and paged syncs (server page size, and a client `DAV:limit` sent
 * with tsdav's own `davRequest`, since `syncCollection` has no limit
 * parameter).
 *
 * Only `syncCollection`/`davRequest` matter here: tsdav's ctag helpers
 * (`isCollectionDirty`) and CardDAV discovery (`fetchAddressBooks`) rely on
 * CalendarServer/CardDAV properties davsync does not claim to serve.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { davRequest, syncCollection, type DAVResponse } from 'tsdav';
import { startServer, type TestServer } from '../support/server';

const vcard = (uid: string, name: string): string =>
  ['BEGIN:VCARD', 'VERSION:3.0', `UID:${uid}`, `FN:${name}`, `N:${name};;;;`, 'END:VCARD', ''].join('\r\n');

/** PUTs a vCard and returns the ETag the server answered with. */
async function putVCard(url: string, uid: string, name: string): Promise<string> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/vcard; charset=utf-8' }, body: vcard(uid, name) });
  expect([201, 204]).toContain(res.status);
  const etag = res.headers.get('etag');
  expect(etag).toMatch(/^"[^"]+"$/);
  return etag as string;
}

async function remove(url: string): Promise<void> {
  const res = await fetch(url, { method: 'DELETE' });
  expect(res.status).toBe(204);
}

async function mkcol(url: string): Promise<void> {
  const res = await fetch(url, { method: 'MKCOL' });
  expect(res.status).toBe(201);
}

/** The new sync token, from the multistatus tsdav parsed (tsdav keeps it in `raw`). */
function tokenOf(responses: DAVResponse[]): string {
  const token: unknown = responses[0]?.raw?.multistatus?.syncToken;
  expect(typeof token).toBe('string');
  return token as string;
}

/** The per-member responses (an empty multistatus comes back from tsdav as one href-less entry). */
const members = (responses: DAVResponse[], collectionHref: string): DAVResponse[] =>
  responses.filter((r) => r.href !== undefined && r.href !== collectionHref);

/** The 507 entry for the collection (RFC 6578 §3.6) or undefined. */
const truncation = (responses: DAVResponse[], collectionHref: string): DAVResponse | undefined =>
  responses.find((r) => r.href === collectionHref && r.status === 507);

describe('tsdav syncCollection', () => {
  let server: TestServer;
  const href = '/dav/contacts/';
  let base: string;

  beforeAll(async () => {
    server = await startServer({ mount: '/dav' });
    base = server.origin + href;
    await mkcol(base);
  });
  afterAll(async () => {
    await server.close();
  });

  it('does an initial sync, then gets exactly the delta after adds, changes and deletes', async () => {
    const etags: Record<string, string> = {};
    for (const [file, name] of [
      ['alice.vcf', 'Alice'],
      ['bob.vcf', 'Bob'],
      ['carol.vcf', 'Carol'],
      ['dan.vcf', 'Dan'],
    ] as const) {
      etags[href + file] = await putVCard(base + file, file, name);
    }

    // Initial sync: no token, every member with its current ETag.
    const initial = await syncCollection({ url: base, props: { 'd:getetag': {} }, syncLevel: 1 });
    const seen = members(initial, href);
    expect(Object.fromEntries(seen.map((r) => [r.href, r.props?.['getetag']]))).toEqual(etags);
    for (const r of seen) expect(r.ok).toBe(true);
    expect(truncation(initial, href)).toBeUndefined();
    const token1 = tokenOf(initial);

    // Change the store: one added, one changed, one removed, one untouched
    // (alice), one added and then removed again (eve: the client never saw it).
    const erinEtag = await putVCard(`${base}erin.vcf`, 'erin.vcf', 'Erin');
    const bobEtag = await putVCard(`${base}bob.vcf`, 'bob.vcf', 'Robert');
    expect(bobEtag).not.toBe(etags[`${href}bob.vcf`]);
    await remove(`${base}carol.vcf`);
    await putVCard(`${base}eve.vcf`, 'eve.vcf', 'Eve');
    await remove(`${base}eve.vcf`);
    await putVCard(`${base}dan.vcf`, 'dan.vcf', 'Daniel');
    const danEtag = await putVCard(`${base}dan.vcf`, 'dan.vcf', 'Dan again');

    const delta = await syncCollection({ url: base, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token1 });
    const changed = members(delta, href).filter((r) => r.status !== 404);
    const removed = members(delta, href).filter((r) => r.status === 404);
    expect(Object.fromEntries(changed.map((r) => [r.href, r.props?.['getetag']]))).toEqual({
      [`${href}erin.vcf`]: erinEtag,
      [`${href}bob.vcf`]: bobEtag,
      [`${href}dan.vcf`]: danEtag,
    });
    // Each changed member is reported once, however often it changed.
    expect(changed).toHaveLength(3);
    // A member removed since the token is a 404 without properties. eve.vcf
    // was created after token1 and is gone now: RFC 6578 §3.5.2 lets a
    // server leave it out or report it removed, never as present.
    const removedHrefs = removed.map((r) => r.href).sort();
    expect(removedHrefs.filter((h) => h !== `${href}eve.vcf`)).toEqual([`${href}carol.vcf`]);
    for (const r of removed) expect(r.props).toEqual({});
    expect(truncation(delta, href)).toBeUndefined();
    const token2 = tokenOf(delta);
    expect(token2).not.toBe(token1);

    // Nothing changed since token2: an empty delta, and the same token back.
    const nothing = await syncCollection({ url: base, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token2 });
    expect(members(nothing, href)).toEqual([]);
    expect(tokenOf(nothing)).toBe(token2);
  });

  it('answers the property set tsdav smartCollectionSync asks for (unknown ones are left out)', async () => {
    const etag = await putVCard(`${base}frank.vcf`, 'frank.vcf', 'Frank');
    const before = tokenOf(await syncCollection({ url: base, props: { 'd:getetag': {} }, syncLevel: 1 }));
    const etag2 = await putVCard(`${base}frank.vcf`, 'frank.vcf', 'Franklin');
    expect(etag2).not.toBe(etag);
    // What smartCollectionSync sends for a CardDAV account, plus live properties
    // that need the store rather than the journal.
    const res = await syncCollection({
      url: base,
      props: { 'd:getetag': {}, 'card:address-data': {}, 'd:displayname': {}, 'd:getcontenttype': {}, 'd:resourcetype': {} },
      syncLevel: 1,
      syncToken: before,
    });
    const got = members(res, href);
    expect(got.map((r) => r.href)).toEqual([`${href}frank.vcf`]);
    // tsdav drops non-2xx propstats, so the 404 ones (address-data, displayname) vanish.
    expect(got[0]?.props).toEqual({ getetag: etag2, getcontenttype: 'text/vcard; charset=utf-8', resourcetype: {} });
  });

  it('rejects a token it never issued with 403 valid-sync-token', async () => {
    const res = await syncCollection({
      url: base,
      props: { 'd:getetag': {} },
      syncLevel: 1,
      syncToken: 'http://example.com/ns/sync/not-ours',
    });
    expect(res).toHaveLength(1);
    expect(res[0]?.status).toBe(403);
    expect(String(res[0]?.raw)).toContain('valid-sync-token');
  });
});

/**
 * Pages until no 507 entry comes back (bounded), returning every page. `sync`
 * does one request with the given token.
 */
async function syncAllPages(
  sync: (token: string | undefined) => Promise<DAVResponse[]>,
  collectionHref: string,
  maxPages = 20,
): Promise<{ pages: DAVResponse[][]; token: string }> {
  const pages: DAVResponse[][] = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await sync(token);
    pages.push(page);
    token = tokenOf(page);
    if (truncation(page, collectionHref) === undefined) return { pages, token };
  }
  throw new Error(`still truncated after ${maxPages} pages`);
}

describe('tsdav paged sync', () => {
  const names = ['m1', 'm2', 'm3', 'm4', 'm5'];

  async function fill(server: TestServer, href: string): Promise<Record<string, string>> {
    await mkcol(server.origin + href);
    const etags: Record<string, string> = {};
    for (const n of names) etags[`${href}${n}.vcf`] = await putVCard(`${server.origin}${href}${n}.vcf`, n, n.toUpperCase());
    return etags;
  }

  /** Every page but the last is truncated with a 507 naming number-of-matches-within-limits. */
  function expectPaging(pages: DAVResponse[][], href: string, etags: Record<string, string>, pageSize: number): void {
    const last = pages.length - 1;
    pages.forEach((page, i) => {
      const t = truncation(page, href);
      if (i < last) {
        expect(t?.ok).toBe(false);
        expect(t?.error).toEqual({ numberOfMatchesWithinLimits: {} });
        expect(members(page, href)).toHaveLength(pageSize);
      } else {
        expect(t).toBeUndefined();
      }
      expect(members(page, href).length).toBeLessThanOrEqual(pageSize);
    });
    expect(pages.length).toBeGreaterThan(1);
    // Every member exactly once, with its ETag.
    const all = pages.flatMap((p) => members(p, href));
    expect(all.map((r) => r.href).sort()).toEqual(Object.keys(etags).sort());
    expect(Object.fromEntries(all.map((r) => [r.href, r.props?.['getetag']]))).toEqual(etags);
  }

  it('follows the server page size (pageSize: 2) to cover every member exactly once', async () => {
    const server = await startServer({ mount: '/dav', pageSize: 2 });
    try {
      const href = '/dav/paged/';
      const etags = await fill(server, href);
      const { pages, token } = await syncAllPages(
        (syncToken) =>
          syncCollection({ url: server.origin + href, props: { 'd:getetag': {} }, syncLevel: 1, ...(syncToken ? { syncToken } : {}) }),
        href,
      );
      expectPaging(pages, href, etags, 2);

      // After paging, a change is a delta of one.
      const etag = await putVCard(`${server.origin}${href}m3.vcf`, 'm3', 'changed');
      const delta = await syncCollection({ url: server.origin + href, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token });
      expect(members(delta, href).map((r) => [r.href, r.props?.['getetag']])).toEqual([[`${href}m3.vcf`, etag]]);
      expect(truncation(delta, href)).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('honours a client DAV:limit sent through tsdav davRequest', async () => {
    const server = await startServer({ mount: '/dav' });
    try {
      const href = '/dav/limited/';
      const etags = await fill(server, href);
      const { pages } = await syncAllPages(
        (syncToken) =>
          davRequest({
            url: server.origin + href,
            init: {
              method: 'REPORT',
              namespace: 'd',
              body: {
                'sync-collection': {
                  _attributes: { 'xmlns:d': 'DAV:' },
                  'sync-token': syncToken ?? {},
                  'sync-level': 1,
                  limit: { nresults: 2 },
                  prop: { getetag: {} },
                },
              },
            },
          }),
        href,
      );
      expectPaging(pages, href, etags, 2);
    } finally {
      await server.close();
    }
  });
});
