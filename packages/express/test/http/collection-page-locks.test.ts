/**
 * The collection page marks locked members with the lock's owner
 * (`locksOfMembers` in `methods/collection-page.ts`), escaped: an owner is
 * whatever XML a client sent in its LOCK. Run on every store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { dav, mkcol, put } from '../support/dav';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const lockinfo = (owner: string, scope = 'exclusive'): string =>
  `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;

async function lock(url: string, owner: string, depth = '0', scope = 'exclusive'): Promise<void> {
  expect((await dav(url, 'LOCK', { headers: { depth, 'content-type': 'application/xml' }, body: lockinfo(owner, scope) })).status).toBe(200);
}

/** The lock markers of the page's row for `name`, as their visible text. */
function markers(page: string, name: string): string[] {
  const row = page.split('\n').find((line) => line.includes(`>${name}</a>`));
  expect(row).toBeDefined();
  return [...(row as string).matchAll(/<span class="lock" title="[^"]*">([^<]*)<\/span>/g)].map((m) => m[1] as string);
}

describe('lock markers on the collection page', () => {
  it("shows the owner of a member's lock, escaped, and nothing on unlocked members", async () => {
    await mkcol(`${s.url}/p1/`);
    await put(`${s.url}/p1/locked.txt`, 'a');
    await put(`${s.url}/p1/free.txt`, 'b');
    await lock(`${s.url}/p1/locked.txt`, 'Ann &lt;script&gt;alert(1)&lt;/script&gt;');
    const page = (await dav(`${s.url}/p1/`, 'GET')).text;
    expect(markers(page, 'locked.txt')).toEqual(['🔒 Ann &lt;script&gt;alert(1)&lt;/script&gt;']);
    expect(markers(page, 'free.txt')).toEqual([]);
    expect(page).not.toContain('<script>');
  });

  it('marks every member under a depth-infinity lock on the collection, and not a member that only contains a lock', async () => {
    await mkcol(`${s.url}/p2/`);
    await mkcol(`${s.url}/p2/sub/`);
    await put(`${s.url}/p2/sub/deep.txt`, 'x');
    await put(`${s.url}/p2/f.txt`, 'x');
    await lock(`${s.url}/p2/sub/deep.txt`, 'deep owner');
    let page = (await dav(`${s.url}/p2/`, 'GET')).text;
    expect(markers(page, 'sub/')).toEqual([]); // the lock is on a member of sub, not on sub
    expect(markers(page, 'f.txt')).toEqual([]);
    await mkcol(`${s.url}/p3/`);
    await put(`${s.url}/p3/g.txt`, 'x');
    await lock(`${s.url}/p3/`, '<D:href>mailto:team@example.com</D:href>', 'infinity', 'shared');
    page = (await dav(`${s.url}/p3/`, 'GET')).text;
    expect(markers(page, 'g.txt')).toEqual(['🔒 mailto:team@example.com']);
    expect(page).toContain('title="Locked (shared) by mailto:team@example.com"');
  });
});
