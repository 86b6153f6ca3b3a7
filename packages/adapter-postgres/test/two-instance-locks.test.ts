/**
 * Two davsync servers on different loopback ports over one PostgreSQL
 * database honour each other's WebDAV locks over HTTP: a LOCK taken
 * through A refuses B's writes without the token (423) and admits them
 * with it, shows in B's DAV:lockdiscovery, conflicts with B's LOCK, and
 * B can UNLOCK it; a depth-infinity lock on a collection through B guards
 * its members through A. (locks.test.ts proves the same on the lock
 * store itself; this is what a client talking to either server sees.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { davsync } from '@davsync/express';
import { openPostgresStore, type PostgresStore } from '../src/index';
import { closeServer, listen } from '../../express/test/support/server';
import { D, dav, errorConditions, XML_HEADERS } from '../../express/test/support/dav';
import { ifHeader, lockinfo, lockTokensOf, lockUrl } from '../../express/test/support/locks';
import { dropSchema, endPool, freshSchema, newPool } from './support/postgres';

interface Instance {
  readonly store: PostgresStore;
  readonly pool: Pool;
  readonly server: Server;
  readonly origin: string;
}

describe('two davsync instances, one database: locks over HTTP', () => {
  let schema: string;
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    schema = await freshSchema();
    for (let i = 0; i < 2; i++) {
      const pool = await newPool(4);
      const store = await openPostgresStore({ pool, schema });
      const { server, origin } = await listen(davsync({ engine: store.engine }));
      instances.push({ store, pool, server, origin });
    }
    [a, b] = instances as [Instance, Instance];
    expect(a.origin).not.toBe(b.origin);
  }, 60_000);

  afterAll(async () => {
    for (const i of instances) {
      await closeServer(i.server);
      await i.store.close();
      await endPool(i.pool);
    }
    await dropSchema(schema);
  }, 60_000);

  it("B refuses a write without A's token, takes it with the token, shows the lock and can UNLOCK it", async () => {
    expect((await dav(`${a.origin}/doc.txt`, 'PUT', { body: 'v1' })).status).toBe(201);
    const token = await lockUrl(`${a.origin}/doc.txt`);

    const refused = await dav(`${b.origin}/doc.txt`, 'PUT', { body: 'no token' });
    expect(refused.status).toBe(423);
    expect(await errorConditions(refused.text)).toEqual([D('lock-token-submitted')]);
    expect((await dav(`${b.origin}/doc.txt`, 'DELETE')).status).toBe(423);
    expect(await lockTokensOf(`${b.origin}/doc.txt`)).toEqual([token]);

    // A conflicting LOCK through B: 423 too.
    const second = await dav(`${b.origin}/doc.txt`, 'LOCK', { headers: { ...XML_HEADERS, depth: '0' }, body: lockinfo() });
    expect(second.status).toBe(423);

    expect((await dav(`${b.origin}/doc.txt`, 'PUT', { body: 'v2 through B', headers: ifHeader(`${b.origin}/doc.txt`, token) })).status).toBe(204);
    expect((await dav(`${a.origin}/doc.txt`, 'GET')).text).toBe('v2 through B');

    expect((await dav(`${b.origin}/doc.txt`, 'UNLOCK', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
    expect(await lockTokensOf(`${a.origin}/doc.txt`)).toEqual([]);
    expect((await dav(`${a.origin}/doc.txt`, 'PUT', { body: 'v3, unlocked' })).status).toBe(204);
    expect((await dav(`${b.origin}/doc.txt`, 'GET')).text).toBe('v3, unlocked');
  });

  it('a depth-infinity lock on a collection through B guards its members through A', async () => {
    expect((await dav(`${a.origin}/team/`, 'MKCOL')).status).toBe(201);
    const r = await dav(`${b.origin}/team/`, 'LOCK', { headers: { ...XML_HEADERS, depth: 'infinity', timeout: 'Second-600' }, body: lockinfo() });
    expect(r.status).toBe(200);
    const token = /^<(.+)>$/.exec(r.headers.get('lock-token') ?? '')?.[1] as string;

    expect((await dav(`${a.origin}/team/plan.txt`, 'PUT', { body: 'no token' })).status).toBe(423);
    expect((await dav(`${a.origin}/team/sub/`, 'MKCOL')).status).toBe(423);
    expect(await lockTokensOf(`${a.origin}/team/`)).toEqual([token]);
    expect((await dav(`${a.origin}/team/plan.txt`, 'PUT', { body: 'plan', headers: ifHeader(`${a.origin}/team/`, token) })).status).toBe(201);

    expect((await dav(`${a.origin}/team/`, 'UNLOCK', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
    expect((await dav(`${b.origin}/team/more.txt`, 'PUT', { body: 'free' })).status).toBe(201);
  });
});
