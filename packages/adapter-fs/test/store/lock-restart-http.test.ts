/**
 * WebDAV locks on the fs store outlive a restart, as a client over HTTP
 * sees it: LOCK two files, close the server and the store, reopen the
 * store on the same folder (its clock two minutes on) behind a new
 * server; the lock with time left still refuses a PUT without its token
 * (423), shows in DAV:lockdiscovery and admits the token, the expired one
 * is gone. (fs-store.test.ts proves the store keeps them; this is the
 * HTTP side.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openFsStore, type FsStore } from '@davsync/adapter-fs';
import { davsync } from '@davsync/express';
import { closeServer, listen } from '../../../express/test/support/server';
import { dav } from '../../../express/test/support/dav';
import { ifHeader, lockTokensOf, lockUrl } from '../../../express/test/support/locks';

const opened: { store: FsStore; server: Server }[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const { store, server } of opened.splice(0)) {
    await closeServer(server);
    await store.close().catch(() => undefined);
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The store on `root` behind a fresh loopback server, its clock `skewMs` ahead. */
async function serve(root: string, skewMs = 0): Promise<{ store: FsStore; server: Server; origin: string }> {
  const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0, engine: { now: () => Date.now() + skewMs } });
  const { server, origin } = await listen(davsync({ engine: store.engine }));
  opened.push({ store, server });
  return { store, server, origin };
}

async function stop(s: { store: FsStore; server: Server }): Promise<void> {
  opened.splice(opened.findIndex((o) => o.store === s.store), 1);
  await closeServer(s.server);
  await s.store.close();
}

describe('fs store restart, over HTTP', () => {
  it('keeps an unexpired lock (423 without the token, in lockdiscovery, the token still works) and drops an expired one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'davsync-lock-restart-'));
    dirs.push(dir);
    const root = join(dir, 'root');

    const first = await serve(root);
    expect((await dav(`${first.origin}/kept.txt`, 'PUT', { body: 'kept v1' })).status).toBe(201);
    expect((await dav(`${first.origin}/brief.txt`, 'PUT', { body: 'brief v1' })).status).toBe(201);
    const kept = await lockUrl(`${first.origin}/kept.txt`, 600);
    const brief = await lockUrl(`${first.origin}/brief.txt`, 60);
    expect((await dav(`${first.origin}/brief.txt`, 'PUT', { body: 'no token' })).status).toBe(423);
    await stop(first);

    // Two minutes later: the 60 s lock has run out, the 600 s one has not.
    const second = await serve(root, 120_000);
    expect((await dav(`${second.origin}/kept.txt`, 'PUT', { body: 'no token' })).status).toBe(423);
    expect(await lockTokensOf(`${second.origin}/kept.txt`)).toEqual([kept]);
    expect((await dav(`${second.origin}/kept.txt`, 'GET')).text).toBe('kept v1');

    expect(await lockTokensOf(`${second.origin}/brief.txt`)).toEqual([]);
    expect((await dav(`${second.origin}/brief.txt`, 'PUT', { body: 'brief v2' })).status).toBe(204);
    expect((await dav(`${second.origin}/brief.txt`, 'UNLOCK', { headers: { 'lock-token': `<${brief}>` } })).status).toBe(409);

    expect((await dav(`${second.origin}/kept.txt`, 'PUT', { body: 'kept v2', headers: ifHeader(`${second.origin}/kept.txt`, kept) })).status).toBe(204);
    expect((await dav(`${second.origin}/kept.txt`, 'UNLOCK', { headers: { 'lock-token': `<${kept}>` } })).status).toBe(204);
    expect((await dav(`${second.origin}/kept.txt`, 'PUT', { body: 'kept v3' })).status).toBe(204);
  });
});
