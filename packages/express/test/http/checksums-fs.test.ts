/**
 * Checksums of files another program writes into a filesystem store (issue
 * 17): they are hashed in the background — queued by the watcher, or by a
 * listing that asks for `oc:checksums` and finds none — and until then
 * `oc:checksums` is missing, never the previous content's. Always on a
 * filesystem store of its own, watched or not, whatever DAVSYNC_TEST_STORE says.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../support/server';
import { dav, propfind, propfindBody, put, textOf } from '../support/dav';

const OC = 'http://owncloud.org/ns';
const ASK = propfindBody('<D:getetag/><oc:checksums/>', ` xmlns:oc="${OC}"`);
const hex = (algorithm: string, text: string): string => createHash(algorithm).update(text, 'utf8').digest('hex');
const sums = (text: string): string => `SHA1:${hex('sha1', text)} MD5:${hex('md5', text)} SHA256:${hex('sha256', text)}`;

let dir: string | undefined;
let store: FsStore | undefined;
let server: Server | undefined;

afterEach(async () => {
  if (server !== undefined) await closeServer(server);
  await store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  server = store = dir = undefined;
});

async function start(watch: boolean): Promise<{ url: string; root: string }> {
  dir = await mkdtemp(join(tmpdir(), 'davsync-sums-'));
  const root = join(dir, 'root');
  store = await openFsStore({ root, watch, watchDelayMs: 20, reconcileIntervalMs: 0 });
  const listening = await listen(davsync({ engine: store.engine }));
  server = listening.server;
  return { url: listening.origin, root };
}

/** `oc:checksum` of `href` in a PROPFIND of `url` (Depth 1 of the folder, or 0 of the file); `undefined` when reported missing. */
async function served(url: string, depth: '0' | '1', href: string): Promise<string | undefined> {
  const r = (await propfind(url, depth, ASK)).get(href);
  const el = r.prop(`{${OC}}checksums`);
  if (el === undefined) {
    expect(r.statusOf(`{${OC}}checksums`)).toBe(404);
    return undefined;
  }
  return textOf(el.children[0]);
}

/**
 * Asks until the checksums are served (at most 200 × 25 ms), checking each
 * answer on the way: missing, or exactly `want` — never anything else.
 */
async function eventually(url: string, depth: '0' | '1', href: string, want: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const got = await served(url, depth, href);
    if (got !== undefined) {
      expect(got).toBe(want);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no checksums served for ${href} within 5 s`);
}

describe.each([true, false])('files written by another program (watch %s)', (watch) => {
  it('get the checksums of their new content, and never the old ones meanwhile', async () => {
    const { url, root } = await start(watch);
    await put(`${url}/a.txt`, 'written over HTTP');
    expect(await served(`${url}/`, '1', '/a.txt')).toBe(sums('written over HTTP'));
    // Same size, other bytes: only a hash can tell.
    await writeFile(join(root, 'a.txt'), 'WRITTEN OVER HTTP');
    await writeFile(join(root, 'b.txt'), 'a new file, never PUT');
    expect([undefined, sums('WRITTEN OVER HTTP')]).toContain(await served(`${url}/`, '1', '/a.txt'));
    await eventually(`${url}/`, '1', '/a.txt', sums('WRITTEN OVER HTTP'));
    await eventually(`${url}/`, '1', '/b.txt', sums('a new file, never PUT'));
    // Depth 0 of the file serves what the listing found.
    expect(await served(`${url}/b.txt`, '0', '/b.txt')).toBe(sums('a new file, never PUT'));
  }, 30_000);
});

describe("davsync's own time changes", () => {
  const setTime = (url: string, seconds: number) =>
    dav(url, 'PROPPATCH', {
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:lastmodified>${seconds}</D:lastmodified></D:prop></D:set></D:propertyupdate>`,
    });
  // An old client time on the PUT, so another program's write (stamped now) surely has another mtime.
  const putOld = async (url: string, text: string) => expect((await dav(url, 'PUT', { headers: { 'x-oc-mtime': '1500000000' }, body: text })).status).toBe(201);

  it('keep the checksums under the new identity; an edit by another program after that still voids them', async () => {
    const { url, root } = await start(false);
    await putOld(`${url}/a.txt`, 'timed content');
    expect((await setTime(`${url}/a.txt`, 1600000000)).status).toBe(207);
    expect(await served(`${url}/a.txt`, '0', '/a.txt')).toBe(sums('timed content'));
    await writeFile(join(root, 'a.txt'), 'TIMED CONTENT');
    expect(await served(`${url}/a.txt`, '0', '/a.txt')).toBeUndefined();
  }, 30_000);

  it('do not carry over checksums another program had already voided', async () => {
    const { url, root } = await start(false);
    await putOld(`${url}/a.txt`, 'timed content');
    // Same size, other bytes, then a time set through davsync: the stored checksums name the PUT's version, not this one.
    await writeFile(join(root, 'a.txt'), 'TIMED CONTENT');
    expect((await setTime(`${url}/a.txt`, 1600000000)).status).toBe(207);
    expect(await served(`${url}/a.txt`, '0', '/a.txt')).toBeUndefined();
  }, 30_000);
});

it('with checksums off, an out-of-band file is not hashed', async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-sums-'));
  const root = join(dir, 'root');
  store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0, engine: { checksums: false } });
  const listening = await listen(davsync({ engine: store.engine }));
  server = listening.server;
  await writeFile(join(root, 'c.txt'), 'unhashed');
  expect(await served(`${listening.origin}/`, '1', '/c.txt')).toBeUndefined();
  await store.adapter.hashed();
  expect(await served(`${listening.origin}/`, '1', '/c.txt')).toBeUndefined();
}, 30_000);
