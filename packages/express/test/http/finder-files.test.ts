/**
 * macOS Finder writes AppleDouble companions (`._name`) and `.DS_Store`
 * beside a user's files. To davsync they are ordinary members: stored,
 * listed, read back and reported by a sync like any other (a server that
 * hid or refused them would make Finder fail the copy, or make a sync
 * client lose them). Run on every store (DAVSYNC_TEST_STORE); the fs store
 * keeps only its own state folder `.davsync` out of the tree.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, syncBody, type TestServer } from '../support/server';
import { dav, mkcol, propfind, sync } from '../support/dav';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

describe("Finder's own files", () => {
  it('stores ._ companions and .DS_Store like any member: PUT, PROPFIND, GET, sync-collection', async () => {
    await mkcol(`${s.url}/photos/`);
    const before = (await sync(`${s.url}/photos/`, syncBody('', '1'))).syncToken as string;
    const files: Record<string, string> = {
      'beach.jpg': 'jpeg bytes',
      '._beach.jpg': '\u0000\u0005\u0016\u0007AppleDouble resource fork',
      '.DS_Store': 'Bud1 finder view settings',
    };
    for (const [name, body] of Object.entries(files)) {
      expect((await dav(`${s.url}/photos/${encodeURIComponent(name)}`, 'PUT', { body })).status).toBe(201);
    }

    const listing = await propfind(`${s.url}/photos/`, '1');
    const names = listing.hrefs.map((h) => decodeURIComponent(h.replace(/^.*\/photos\//, ''))).filter((n) => n !== '');
    expect(names.sort()).toEqual(Object.keys(files).sort());

    for (const [name, body] of Object.entries(files)) {
      const got = await dav(`${s.url}/photos/${encodeURIComponent(name)}`, 'GET');
      expect(got.status).toBe(200);
      expect(got.text).toBe(body);
    }

    const delta = await sync(`${s.url}/photos/`, syncBody(before, '1'));
    const changed = delta.hrefs.map((h) => decodeURIComponent(h.replace(/^.*\/photos\//, '')));
    expect(changed.sort()).toEqual(Object.keys(files).sort());

    expect((await dav(`${s.url}/photos/._beach.jpg`, 'DELETE')).status).toBe(204);
    expect((await dav(`${s.url}/photos/._beach.jpg`, 'GET')).status).toBe(404);
  });
});
