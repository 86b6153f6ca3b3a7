/**
 * Wrap mode with an `authorize` hook: the sync reports davsync answers for
 * the host are filtered per user like in full-server mode, and a user who
 * may not sync a collection gets 403 from davsync.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { D, dav, multistatus, propfindBody, XML_HEADERS } from '../support/dav';
import { syncBody } from '../support/server';
import { Acl, as, userFromHeader } from '../access/acl';
import { FakeHost, startWrapped, type Wrapped } from './fake-host';

let w: Wrapped | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function syncAs(user: string, path: string, token: string | null = null) {
  return dav(`${w!.origin}${path}`, 'REPORT', { headers: as(user, XML_HEADERS), body: syncBody(token, '1') });
}

describe('wrap mode with authorize', () => {
  it('filters sync reports per user and reports a revocation as a removal', async () => {
    const host = new FakeHost();
    host.mkcol('/books');
    host.mkcol('/books/team');
    host.put('/books/team/alice.vcf', 'a');
    host.put('/books/team/bob.vcf', 'b');
    const acl = new Acl().grantRead('bob', '/books/team').deny('bob', '/books/team/alice.vcf').grantRead('carol', '/books/other');
    w = await startWrapped({ authorize: acl.authorize, user: userFromHeader }, host);
    await w.wrap.adopt(host.listing());

    const first = await syncAs('bob', '/books/team/');
    expect(first.status).toBe(207);
    const bob = await multistatus(first.text);
    expect(bob.responses.map((r) => r.href)).toEqual(['/books/team/bob.vcf']);

    expect((await syncAs('carol', '/books/team/')).status).toBe(403);

    acl.deny('bob', '/books/team/bob.vcf');
    await w.wrap.log.revokeAccess(['bob'], ['/books/team/bob.vcf']);
    const next = await multistatus((await syncAs('bob', '/books/team/', bob.syncToken!)).text);
    expect(next.responses.map((r) => [r.href, r.status])).toEqual([['/books/team/bob.vcf', 404]]);
  });

  it('merges the sync token into a host PROPFIND only for users who may sync the collection', async () => {
    const host = new FakeHost();
    host.mkcol('/books');
    host.mkcol('/books/team');
    host.put('/books/team/bob.vcf', 'b');
    const acl = new Acl().grantRead('bob', '/books/team').grantRead('carol', '/books/other');
    w = await startWrapped({ authorize: acl.authorize, user: userFromHeader }, host);
    await w.wrap.adopt(host.listing());
    const tokenFor = async (user: string) => {
      const r = await dav(`${w!.origin}/books/team/`, 'PROPFIND', { headers: as(user, { ...XML_HEADERS, depth: '0' }), body: propfindBody('<D:sync-token/>') });
      expect(r.status).toBe(207);
      return (await multistatus(r.text)).get('/books/team/').statusOf(D('sync-token'));
    };
    expect(await tokenFor('bob')).toBe(200);
    // The host answers carol's PROPFIND (it authorizes its own requests); davsync adds no token to it.
    expect(await tokenFor('carol')).toBe(404);
  });

  it('takes a sync token in an If header as not current for a user who may not sync its collection (as in full-server mode)', async () => {
    const host = new FakeHost();
    host.mkcol('/books');
    host.mkcol('/books/team');
    host.put('/books/team/bob.vcf', 'b');
    const acl = new Acl().grantRead('bob', '/books/team').grantRead('carol', '/books/other');
    w = await startWrapped({ authorize: acl.authorize, user: userFromHeader }, host);
    await w.wrap.adopt(host.listing());
    const token = (await multistatus((await syncAs('bob', '/books/team/')).text)).syncToken!;
    const put = (user: string, name: string) =>
      dav(`${w!.origin}/books/team/${name}`, 'PUT', { headers: as(user, { if: `</books/team/> (<${token}>)` }), body: name });
    // The host authorizes the write itself; davsync decides only the token.
    expect((await put('carol', 'carol.vcf')).status).toBe(412);
    expect(host.files.has('/books/team/carol.vcf')).toBe(false);
    expect((await put('bob', 'new.vcf')).status).toBe(201);
  });
});
