/**
 * The `authorize` hook over real HTTP: every method checks its target, the
 * members a response would show are filtered, subtree operations check the
 * whole subtree, If headers cannot probe what the user may not read, and
 * sync reports show grants as changes and revocations as removals to the
 * users concerned only.
 *
 * Tree (made by `admin`, who may do everything):
 *   /shared/a.txt  /shared/sub/b.txt  /shared/hidden.txt
 *   /alice/notes.txt   /bob/secret.txt
 * alice reads /shared (except /shared/hidden.txt) and /alice, writes /alice;
 * bob reads /shared and /bob, writes /bob; carol reads only /shared/sub/b.txt.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../support/server';
import { dav, multistatus, PROPFIND_ALL, XML_HEADERS, type Multistatus } from '../support/dav';
import { Acl, as, userFromHeader } from './acl';

let s: TestServer;
let acl: Acl;

const call = (user: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  dav(`${s.url}${path}`, method, { headers: as(user, headers), ...(body === undefined ? {} : { body }) });

const syncBody = (token: string | null, level: '1' | 'infinite' = 'infinite') =>
  `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${token ?? ''}</D:sync-token>` +
  `<D:sync-level>${level}</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;

async function syncAs(user: string, path: string, token: string | null): Promise<Multistatus> {
  const r = await call(user, 'REPORT', path, XML_HEADERS, syncBody(token));
  expect(r.status).toBe(207);
  return multistatus(r.text);
}

/** `path status` of each response, in order, with the mount prefix dropped. */
const lines = (ms: Multistatus): string[] =>
  ms.responses.map((r) => `${decodeURIComponent(r.href).slice(new URL(s.url).pathname.replace(/\/$/, '').length)} ${r.status ?? r.propstats[0]?.status}`);

const hrefs = (ms: Multistatus): string[] => lines(ms).map((l) => l.split(' ')[0] as string).sort();

async function admin(method: string, path: string, body?: string): Promise<void> {
  const r = await call('admin', method, path, {}, body);
  expect([200, 201, 204]).toContain(r.status);
}

beforeEach(async () => {
  acl = new Acl()
    .grantRead('alice', '/shared')
    .grantRead('alice', '/alice')
    .grantWrite('alice', '/alice')
    .deny('alice', '/shared/hidden.txt')
    .grantRead('bob', '/shared')
    .grantRead('bob', '/bob')
    .grantWrite('bob', '/bob')
    .grantRead('carol', '/shared/sub/b.txt');
  s = await startServer({ authorize: acl.authorize, user: userFromHeader });
  for (const dir of ['/shared', '/shared/sub', '/alice', '/bob']) await admin('MKCOL', dir);
  await admin('PUT', '/shared/a.txt', 'a');
  await admin('PUT', '/shared/sub/b.txt', 'b');
  await admin('PUT', '/shared/hidden.txt', 'hidden');
  await admin('PUT', '/alice/notes.txt', 'alice notes');
  await admin('PUT', '/bob/secret.txt', 'bob secret');
});
afterEach(async () => {
  await s.close();
});

describe('the request target', () => {
  it('is checked for every method, with the user, method, path and action the hook needs', async () => {
    acl.asked.length = 0;
    expect((await call('alice', 'PUT', '/alice/new.txt', {}, 'n')).status).toBe(201);
    expect(acl.asked[0]).toEqual({ user: 'alice', method: 'PUT', path: '/alice/new.txt', action: 'write' });
    acl.asked.length = 0;
    await call('alice', 'REPORT', '/alice', XML_HEADERS, syncBody(null));
    expect(acl.asked[0]).toEqual({ user: 'alice', method: 'REPORT', path: '/alice', action: 'sync' });
  });

  it('refuses with 403 need-privileges whether the member exists or not, so a refusal tells nothing', async () => {
    const existing = await call('alice', 'GET', '/bob/secret.txt');
    const missing = await call('alice', 'GET', '/bob/no-such-file.txt');
    expect(existing.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(existing.text).toContain('need-privileges');
    expect(existing.text).toBe(missing.text);
    expect(existing.text).not.toContain('bob secret');
  });

  it('refuses an anonymous request when the hook does', async () => {
    expect((await dav(`${s.url}/shared/a.txt`, 'GET')).status).toBe(403);
  });

  it.each([
    ['PUT', '/bob/x.txt', {}, 'x'],
    ['PUT', '/bob/secret.txt', {}, 'overwritten'],
    ['DELETE', '/bob/secret.txt', {}, undefined],
    ['MKCOL', '/bob/dir', {}, undefined],
    ['PROPPATCH', '/bob/secret.txt', XML_HEADERS, '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:p>v</Z:p></D:prop></D:set></D:propertyupdate>'],
    ['PUT', '/shared/a.txt', {}, 'read-only for alice'],
  ])('refuses %s %s to a user who may not write it, and changes nothing', async (method, path, headers, body) => {
    const before = await syncAs('admin', '/', null);
    const r = await call('alice', method, path, headers, body);
    expect(r.status).toBe(403);
    const after = await syncAs('admin', '/', before.syncToken!);
    expect(after.responses).toEqual([]);
    expect((await call('admin', 'GET', '/bob/secret.txt')).text).toBe('bob secret');
  });
});

describe('listings', () => {
  it('PROPFIND leaves out members the user may not read, and everything below them', async () => {
    const depth1 = await call('alice', 'PROPFIND', '/', { ...XML_HEADERS, depth: '1' }, PROPFIND_ALL);
    expect(hrefs(await multistatus(depth1.text))).toEqual(['/', '/alice/', '/shared/']);
    const deep = await call('alice', 'PROPFIND', '/', { ...XML_HEADERS, depth: 'infinity' }, PROPFIND_ALL);
    expect(hrefs(await multistatus(deep.text))).toEqual(['/', '/alice/', '/alice/notes.txt', '/shared/', '/shared/a.txt', '/shared/sub/', '/shared/sub/b.txt']);
  });

  it('the collection page names only readable members, in the listing and in recent changes', async () => {
    const page = await call('alice', 'GET', '/', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('alice');
    expect(page.text).not.toContain('bob');
    expect(page.text).not.toContain('secret.txt');
    expect(page.text).toContain('shared/sub/b.txt');
    expect(page.text).not.toContain('hidden.txt');
  });
});

describe('subtree operations', () => {
  it('DELETE of a collection is refused when a member below may not be written, and removes nothing', async () => {
    acl.grantWrite('alice', '/shared').deny('alice', '/shared/sub/b.txt');
    expect((await call('alice', 'DELETE', '/shared')).status).toBe(403);
    expect((await call('admin', 'GET', '/shared/sub/b.txt')).text).toBe('b');
    expect((await call('admin', 'GET', '/shared/a.txt')).text).toBe('a');
  });

  it('COPY of a collection holding an unreadable member is refused: a copy would disclose it', async () => {
    const r = await call('alice', 'COPY', '/shared', { destination: `${s.url}/alice/copy` });
    expect(r.status).toBe(403);
    expect((await call('admin', 'GET', '/alice/copy/hidden.txt')).status).toBe(404);
    expect((await call('admin', 'PROPFIND', '/alice/copy', { depth: '0' })).status).toBe(404);
  });

  it('COPY and MOVE need write access to the destination, and to whatever it replaces', async () => {
    expect((await call('alice', 'COPY', '/alice/notes.txt', { destination: `${s.url}/bob/notes.txt` })).status).toBe(403);
    expect((await call('alice', 'MOVE', '/alice/notes.txt', { destination: `${s.url}/bob/notes.txt` })).status).toBe(403);
    acl.grantWrite('alice', '/shared').deny('alice', '/shared/sub/b.txt');
    await admin('MKCOL', '/alice/dir');
    const r = await call('alice', 'MOVE', '/alice/dir', { destination: `${s.url}/shared/sub`, overwrite: 'T' });
    expect(r.status).toBe(403);
    expect((await call('admin', 'GET', '/shared/sub/b.txt')).text).toBe('b');
    expect((await call('admin', 'GET', '/alice/notes.txt')).text).toBe('alice notes');
  });

  it('MOVE needs write access to the source', async () => {
    acl.grantWrite('alice', '/alice');
    expect((await call('alice', 'MOVE', '/shared/a.txt', { destination: `${s.url}/alice/a.txt` })).status).toBe(403);
    expect((await call('admin', 'GET', '/shared/a.txt')).text).toBe('a');
  });
});

describe('If headers', () => {
  it('cannot test the ETag of a member the user may not read: to them it does not exist', async () => {
    const secretEtag = (await call('admin', 'HEAD', '/bob/secret.txt')).headers.get('etag')!;
    const probe = { if: `<${s.url}/bob/secret.txt> ([${secretEtag}])` };
    // The same condition passes for admin, so the 412 below is the filter, not a bad probe.
    expect((await call('admin', 'PUT', '/alice/probe.txt', probe, 'p')).status).toBe(201);
    expect((await call('alice', 'PUT', '/alice/probe.txt', probe, 'p')).status).toBe(412);
    const negated = { if: `<${s.url}/bob/secret.txt> (Not [${secretEtag}])` };
    expect((await call('alice', 'PUT', '/alice/probe.txt', negated, 'p2')).status).toBe(204);
  });
});

describe('sync-collection', () => {
  it('reports only members the user may read; a collection the user may not read cannot be synced', async () => {
    const bob = await syncAs('bob', '/', null);
    expect(hrefs(bob)).toEqual(['/bob/', '/bob/secret.txt', '/shared/', '/shared/a.txt', '/shared/hidden.txt', '/shared/sub/', '/shared/sub/b.txt']);
    expect((await call('bob', 'REPORT', '/alice', XML_HEADERS, syncBody(null))).status).toBe(403);
  });

  it("a token obtained by one user gives nothing extra to another", async () => {
    const alice = await syncAs('alice', '/', null);
    await admin('PUT', '/alice/notes.txt', 'changed');
    await admin('PUT', '/bob/secret.txt', 'changed');
    await admin('PUT', '/shared/a.txt', 'changed');
    expect(lines(await syncAs('bob', '/', alice.syncToken!))).toEqual(['/bob/secret.txt 200', '/shared/a.txt 200']);
    expect(lines(await syncAs('alice', '/', alice.syncToken!))).toEqual(['/alice/notes.txt 200', '/shared/a.txt 200']);
  });

  it('a revocation is a removal to the user who lost access, and to nobody else', async () => {
    const alice = await syncAs('alice', '/', null);
    const bob = await syncAs('bob', '/', null);
    const carol = await syncAs('carol', '/', null);
    expect(hrefs(carol)).toEqual(['/shared/sub/b.txt']);

    acl.deny('alice', '/shared/sub');
    expect(await s.engine.revokeAccess(['alice'], ['/shared/sub'])).toBe(2);

    expect(lines(await syncAs('alice', '/', alice.syncToken!))).toEqual(['/shared/sub/ 404']);
    // Bob can still read them: to him they are (harmlessly) changed.
    expect(lines(await syncAs('bob', '/', bob.syncToken!))).toEqual(['/shared/sub/ 200', '/shared/sub/b.txt 200']);
    // Carol can read b.txt, not /shared/sub: she is not told the collection's name.
    expect(lines(await syncAs('carol', '/', carol.syncToken!))).toEqual(['/shared/sub/b.txt 200']);
  });

  it('revoking a collection re-sends what stays readable below it through another grant', async () => {
    acl.grantRead('carol', '/shared');
    const carol = await syncAs('carol', '/', null);
    acl.revokeRead('carol', '/shared');
    await s.engine.revokeAccess(['carol'], ['/shared']);
    // /shared is removed for carol (her client drops everything below it),
    // then b.txt, which her own grant still covers, comes back.
    expect(lines(await syncAs('carol', '/', carol.syncToken!))).toEqual(['/shared/ 404', '/shared/sub/b.txt 200']);
  });

  it('a grant is a change: the newly readable subtree arrives in the next delta', async () => {
    const alice = await syncAs('alice', '/', null);
    acl.grantRead('alice', '/bob');
    await s.engine.grantAccess(['/bob']);
    expect(lines(await syncAs('alice', '/', alice.syncToken!))).toEqual(['/bob/ 200', '/bob/secret.txt 200']);
  });

  it('a later change to a revoked member is not reported to the user who lost it', async () => {
    const alice = await syncAs('alice', '/', null);
    acl.deny('alice', '/shared/a.txt');
    await s.engine.revokeAccess(['alice'], ['/shared/a.txt']);
    const after = await syncAs('alice', '/', alice.syncToken!);
    expect(lines(after)).toEqual(['/shared/a.txt 404']);
    await admin('PUT', '/shared/a.txt', 'changed');
    await admin('DELETE', '/shared/a.txt');
    expect(lines(await syncAs('alice', '/', after.syncToken!))).toEqual([]);
  });

  it('the removal of a member is reported even when the user may not see its removed collection', async () => {
    const carol = await syncAs('carol', '/', null);
    await admin('DELETE', '/shared/sub');
    // Without a view, the removal of /shared/sub/b.txt is implied by /shared/sub's;
    // carol is not shown /shared/sub, so she must get b.txt's own removal.
    expect(lines(await syncAs('carol', '/', carol.syncToken!))).toEqual(['/shared/sub/b.txt 404']);
    const admin0 = await syncAs('admin', '/', carol.syncToken!);
    expect(lines(admin0)).toEqual(['/shared/sub/ 404']);
  });

  it('the page limit counts what the user sees', async () => {
    const carol = await syncAs('carol', '/', null);
    for (const n of [1, 2, 3]) await admin('PUT', `/bob/f${n}.txt`, 'x');
    await admin('PUT', '/shared/sub/b.txt', 'changed');
    const limited = `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${carol.syncToken}</D:sync-token>` +
      '<D:sync-level>infinite</D:sync-level><D:limit><D:nresults>1</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>';
    const r = await call('carol', 'REPORT', '/', XML_HEADERS, limited);
    expect(r.status).toBe(207);
    expect(lines(await multistatus(r.text))).toEqual(['/shared/sub/b.txt 200']);
  });
});
