import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { SyncEngine } from '@davsync/core';
import { bodyOf, readText } from '@davsync/core/testing';
import { KvAdapter, type KvRecord } from '../src/kv-adapter';
import { startKvServer } from '../src/server';

describe('KvAdapter over a map that outlives it', () => {
  it('serves the records already in the map and never reissues an ETag', async () => {
    const kv = new Map<string, KvRecord>();
    const first = new KvAdapter(kv);
    await first.mkcol('/notes');
    const before = await first.write('/notes/a.txt', bodyOf('one'));

    const second = new KvAdapter(kv); // a "restart" over the same data
    expect(await readText(second, '/notes/a.txt')).toBe('one');
    expect((await second.stat('/notes/a.txt'))?.etag).toBe(before.etag);
    await second.remove('/notes/a.txt');
    const again = await second.write('/notes/a.txt', bodyOf('one'));
    expect(again.etag).not.toBe(before.etag);
  });

  it('lets the engine pick up changes made to the map behind its back', async () => {
    const kv = new Map<string, KvRecord>();
    const engine = new SyncEngine({ adapter: new KvAdapter(kv) });
    await engine.write('/a.txt', bodyOf('a'));
    const { token } = await engine.changes('/', null, { level: 1 });
    kv.delete('/a.txt'); // another program edits the store
    expect(await engine.refresh()).toBe(1);
    const delta = await engine.changes('/', token, { level: 1 });
    expect(delta.changes).toEqual([{ type: 'removed', path: '/a.txt', collection: false }]);
  });
});

describe('the example server', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    ({ server, url } = await startKvServer(0));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('serves the key-value store over WebDAV with sync', async () => {
    expect((await fetch(`${url}hello.txt`, { method: 'PUT', body: 'hello' })).status).toBe(201);
    const sync = await fetch(url, {
      method: 'REPORT',
      headers: { 'content-type': 'application/xml' },
      body: '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>',
    });
    expect(sync.status).toBe(207);
    expect(await sync.text()).toMatch(/<D:href>\/hello\.txt<\/D:href>.*<D:getetag>"v\d+"<\/D:getetag>/);
    expect(await (await fetch(`${url}hello.txt`)).text()).toBe('hello');
  });
});
