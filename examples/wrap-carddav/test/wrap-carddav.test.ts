/**
 * The proofs, with tsdav (a real CardDAV client no one here wrote) against
 * the example CardDAV host with davsync in front of it, over loopback:
 * the address-book listing from a known home URL sees the sync token and
 * the sync-collection report (discovery from the server URL alone needs
 * principals, which this host does not have); tsdav's
 * `syncCollection` sees adds, changes and deletes made over HTTP and through
 * the explicit API; a stale sync token in an If header stops a PUT with 412
 * before the host runs; a host failure records nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createAccount, createVCard, deleteVCard, fetchAddressBooks, syncCollection, updateVCard, type DAVResponse } from 'tsdav';
import { AddressBooks } from '../src/carddav-host';
import { startCardDavServer, type CardDavServer } from '../src/server';

const BOOK = '/addressbooks/alice/contacts/';
const vcard = (uid: string, name: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`;

let server: CardDavServer;
let book: { url: string };

beforeEach(async () => {
  // The host already has an address book with two cards before davsync arrives.
  const store = new AddressBooks();
  store.createBook('/addressbooks/alice/contacts');
  store.putCard('/addressbooks/alice/contacts/ada.vcf', vcard('ada', 'Ada'));
  store.putCard('/addressbooks/alice/contacts/alan.vcf', vcard('alan', 'Alan'));
  server = await startCardDavServer({ store });
  book = { url: server.origin + BOOK };
});
afterEach(async () => {
  await server.close();
});

/** tsdav's syncCollection with address data; returns the members and the new token. */
async function sync(token?: string): Promise<{ members: DAVResponse[]; token: string }> {
  const responses = await syncCollection({
    url: book.url,
    props: { 'd:getetag': {}, 'card:address-data': {} },
    syncLevel: 1,
    ...(token === undefined ? {} : { syncToken: token }),
  });
  const newToken: unknown = responses[0]?.raw?.multistatus?.syncToken;
  expect(typeof newToken).toBe('string');
  return { members: responses.filter((r) => r.href !== undefined && r.href !== BOOK), token: newToken as string };
}

const addressData = (r: DAVResponse | undefined): string | undefined => {
  const v: unknown = r?.props?.['addressData'];
  return typeof v === 'string' ? v : (v as { _cdata?: string } | undefined)?._cdata;
};
const etagOf = (path: string): string => `"${server.store.getCard(path)?.etag}"`;
const byHref = (members: DAVResponse[]) => Object.fromEntries(members.map((r) => [r.href, r.status === 404 ? 404 : r.props?.['getetag']]));

describe('a CardDAV host with davsync in front, seen by tsdav', () => {
  it('lists the address book from its home URL, with a sync token and the sync-collection report', async () => {
    const [found] = await fetchAddressBooks({
      account: { accountType: 'carddav', serverUrl: server.origin, rootUrl: `${server.origin}/`, homeUrl: `${server.origin}/addressbooks/alice/` },
    });
    expect(found?.url).toBe(book.url);
    expect(found?.displayName).toBe('contacts');
    expect(found?.syncToken).toMatch(/^urn:x-davsync:sync:/);
    expect(found?.reports).toContain('syncCollection');
    const { token } = await sync();
    expect(found?.syncToken).toBe(token);
  });

  it('discovery from the server URL alone fails: the host has no principals (what the README says)', async () => {
    // createDAVClient and DAVClient.login() run the same discovery.
    await expect(createAccount({ account: { accountType: 'carddav', serverUrl: server.origin } })).rejects.toThrow('cannot find principalUrl');
    // The principal lookup went to the host untouched.
    expect(server.hostRequests).toContain('PROPFIND /');
  });

  it('lists the data the host had before (adopted, not re-uploaded) with address data', async () => {
    const { members } = await sync();
    expect(byHref(members)).toEqual({
      [`${BOOK}ada.vcf`]: etagOf(`${BOOK}ada.vcf`),
      [`${BOOK}alan.vcf`]: etagOf(`${BOOK}alan.vcf`),
    });
    expect(addressData(members.find((m) => m.href === `${BOOK}ada.vcf`))).toBe(vcard('ada', 'Ada').trim()); // xml-js trims text
    expect(server.hostRequests.filter((r) => r.startsWith('PUT'))).toEqual([]);
  });

  it('sees adds, changes and deletes made over HTTP', async () => {
    const { token } = await sync();
    expect((await createVCard({ addressBook: book, filename: 'grace.vcf', vCardString: vcard('grace', 'Grace') })).status).toBe(201);
    const ada = { url: `${book.url}ada.vcf`, etag: etagOf(`${BOOK}ada.vcf`), data: vcard('ada', 'Ada King') };
    expect((await updateVCard({ vCard: ada })).status).toBe(204);
    expect((await deleteVCard({ vCard: { url: `${book.url}alan.vcf`, etag: etagOf(`${BOOK}alan.vcf`) } })).status).toBe(204);

    const delta = await sync(token);
    expect(byHref(delta.members)).toEqual({
      [`${BOOK}grace.vcf`]: etagOf(`${BOOK}grace.vcf`),
      [`${BOOK}ada.vcf`]: etagOf(`${BOOK}ada.vcf`),
      [`${BOOK}alan.vcf`]: 404,
    });
    expect(addressData(delta.members.find((m) => m.href === `${BOOK}ada.vcf`))).toBe(vcard('ada', 'Ada King').trim()); // xml-js trims text
    // Up to date: nothing, and the same token back.
    const idle = await sync(delta.token);
    expect(idle.members).toEqual([]);
    expect(idle.token).toBe(delta.token);
  });

  it('sees adds, changes and deletes the host makes outside HTTP through the explicit API', async () => {
    const { token } = await sync();
    await server.importCard('/addressbooks/alice/contacts/linus.vcf', vcard('linus', 'Linus'));
    await server.importCard('/addressbooks/alice/contacts/alan.vcf', vcard('alan', 'Alan M. Turing'));
    await server.removeCard('/addressbooks/alice/contacts/ada.vcf');
    expect(server.hostRequests).toEqual([]);

    const delta = await sync(token);
    expect(byHref(delta.members)).toEqual({
      [`${BOOK}linus.vcf`]: etagOf(`${BOOK}linus.vcf`),
      [`${BOOK}alan.vcf`]: etagOf(`${BOOK}alan.vcf`),
      [`${BOOK}ada.vcf`]: 404,
    });
    expect(addressData(delta.members.find((m) => m.href === `${BOOK}linus.vcf`))).toBe(vcard('linus', 'Linus').trim()); // xml-js trims text
  });

  it('stops a PUT whose If header holds a stale sync token with 412 before the host handler runs', async () => {
    const { token: stale } = await sync();
    await createVCard({ addressBook: book, filename: 'grace.vcf', vCardString: vcard('grace', 'Grace') });
    const hostSawBefore = [...server.hostRequests];

    const refused = await createVCard({
      addressBook: book,
      filename: 'mallory.vcf',
      vCardString: vcard('mallory', 'Mallory'),
      headers: { if: `<${book.url}> (<${stale}>)` },
    });
    expect(refused.status).toBe(412);
    expect(server.hostRequests).toEqual(hostSawBefore);
    expect(server.store.getCard('/addressbooks/alice/contacts/mallory.vcf')).toBeUndefined();

    // With the current token the same request goes through to the host.
    const { token: current } = await sync();
    const accepted = await createVCard({
      addressBook: book,
      filename: 'mallory.vcf',
      vCardString: vcard('mallory', 'Mallory'),
      headers: { if: `<${book.url}> (<${current}>)` },
    });
    expect(accepted.status).toBe(201);
    expect(server.hostRequests.at(-1)).toBe('PUT /addressbooks/alice/contacts/mallory.vcf');
  });

  it('records nothing when the host refuses a write', async () => {
    const before = await sync();
    // Not a vCard: the host answers 400.
    expect((await createVCard({ addressBook: book, filename: 'junk.vcf', vCardString: 'hello' })).status).toBe(400);
    // A stale ETag: the host's own If-Match check answers 412.
    expect((await updateVCard({ vCard: { url: `${book.url}ada.vcf`, etag: '"not-current"', data: vcard('ada', 'Eve') } })).status).toBe(412);
    expect((await deleteVCard({ vCard: { url: `${book.url}nobody.vcf`, etag: '"x"' } })).status).toBe(404);
    expect(server.hostRequests).toHaveLength(3);

    const after = await sync(before.token);
    expect(after.members).toEqual([]);
    expect(after.token).toBe(before.token);
  });
});
