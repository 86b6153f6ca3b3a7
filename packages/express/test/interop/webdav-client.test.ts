/**
 * The npm `webdav` client (perry-mitchell/webdav-client, a client no one
 * here wrote) locking davsync: `lock()` and `unlock()`, `putFileContents`
 * with the lock token in an If header honoured, the same write without it
 * refused with 423, a second LOCK refused, a stale UNLOCK refused, and a
 * LOCK on an unmapped URL making an empty file. Two things the client
 * does its own way: `unlock()` sends the Lock-Token without its angle
 * brackets (davsync takes that), and `lock({ refreshToken })` sends a
 * lockinfo body, so it is a new lock request, not a refresh (refused).
 *
 * webdav 5 is ESM-only, which jest's CommonJS runtime (ts-jest) cannot
 * import without --experimental-vm-modules, so each client call runs in a
 * plain Node child (webdav-client/webdav-op.mjs) and reports back as JSON.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dav } from '../support/dav';
import { lockTokensOf } from '../support/locks';
import { startServer, type TestServer } from '../support/server';

const SCRIPT = join(__dirname, 'webdav-client', 'webdav-op.mjs');

type Outcome = { ok: true; result: unknown } | { ok: false; status: number | null; message: string };

/** One `webdav` client call against `url` (the collection the client is created on). */
function client(url: string, op: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, JSON.stringify({ url, op, ...args })], { timeout: 20_000, cwd: __dirname }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`webdav-op ${op} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim()) as Outcome);
      } catch {
        reject(new Error(`webdav-op ${op} printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

function granted(o: Outcome): { token: string; serverTimeout: string } {
  if (!o.ok) throw new Error(`the webdav client failed: ${o.status} ${o.message}`);
  return o.result as { token: string; serverTimeout: string };
}

describe('npm webdav client: lock(), unlock() and writes under a lock', () => {
  let server: TestServer;
  let base: string;

  const content = async (path: string): Promise<string> => {
    const r = await dav(`${base}${path}`, 'GET');
    expect(r.status).toBe(200);
    return r.text;
  };

  beforeAll(async () => {
    server = await startServer({ mount: '/dav' });
    base = `${server.url}/`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('sees class 2 in the compliance davsync announces', async () => {
    const o = await client(base, 'compliance', { path: '/' });
    expect(o.ok).toBe(true);
    expect((o as { result: { compliance: string[] } }).result.compliance).toEqual(expect.arrayContaining(['1', '2']));
  });

  it('writes with the token, is refused without it, and writes freely after unlock', async () => {
    expect((await client(base, 'put', { path: '/doc.txt', content: 'v1' })).ok).toBe(true);

    const lock = granted(await client(base, 'lock', { path: '/doc.txt', timeout: 'Second-600' }));
    expect(lock.token).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(lock.serverTimeout).toBe('Second-600');
    expect(await lockTokensOf(`${base}doc.txt`)).toEqual([lock.token]);

    expect(await client(base, 'put', { path: '/doc.txt', content: 'intruder' })).toMatchObject({ ok: false, status: 423 });
    expect(await client(base, 'delete', { path: '/doc.txt' })).toMatchObject({ ok: false, status: 423 });
    expect(await content('/doc.txt')).toBe('v1');

    expect((await client(base, 'put', { path: '/doc.txt', content: 'v2', token: lock.token })).ok).toBe(true);
    expect(await content('/doc.txt')).toBe('v2');

    // A second LOCK by someone without the token conflicts.
    expect(await client(base, 'lock', { path: '/doc.txt' })).toMatchObject({ ok: false, status: 423 });

    expect((await client(base, 'unlock', { path: '/doc.txt', token: lock.token })).ok).toBe(true);
    expect(await lockTokensOf(`${base}doc.txt`)).toEqual([]);
    // The token is gone: unlocking with it again is a 409 (RFC 4918 §9.11.1).
    expect(await client(base, 'unlock', { path: '/doc.txt', token: lock.token })).toMatchObject({ ok: false, status: 409 });

    expect((await client(base, 'put', { path: '/doc.txt', content: 'v3' })).ok).toBe(true);
    expect(await content('/doc.txt')).toBe('v3');
  });

  it('unlock() sends the token without angle brackets, which davsync takes (a bare absolute URI is unambiguous)', async () => {
    const lock = granted(await client(base, 'lock', { path: '/bare.txt', timeout: 'Second-600' }));
    expect(await client(base, 'unlock', { path: '/bare.txt', token: lock.token })).toEqual({ ok: true, result: null });
    expect(await lockTokensOf(`${base}bare.txt`)).toEqual([]);
  });

  it("lock({ refreshToken }) is no refresh (webdav sends a lockinfo body with it; RFC 4918 §9.10.2 makes that a new request): 423, the lock kept", async () => {
    const lock = granted(await client(base, 'lock', { path: '/refresh.txt', timeout: 'Second-60' }));
    expect(await client(base, 'refresh', { path: '/refresh.txt', token: lock.token, timeout: 'Second-120' })).toMatchObject({ ok: false, status: 423 });
    expect(await lockTokensOf(`${base}refresh.txt`)).toEqual([lock.token]);
    // A real refresh (no body, the token in If) is what the client would have to send.
    const refreshed = await dav(`${base}refresh.txt`, 'LOCK', { headers: { timeout: 'Second-120', if: `(<${lock.token}>)` } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).toContain('Second-120');
    expect((await client(base, 'unlock', { path: '/refresh.txt', token: lock.token })).ok).toBe(true);
  });

  it("takes the client's default timeout (Infinite, Second-4100000000) and answers with the timeout it granted", async () => {
    const lock = granted(await client(base, 'lock', { path: '/default.txt' }));
    expect(lock.serverTimeout).toMatch(/^(Infinite|Second-\d+)$/);
    expect((await client(base, 'unlock', { path: '/default.txt', token: lock.token })).ok).toBe(true);
  });

  it('LOCK on an unmapped URL makes an empty, locked file the token can write', async () => {
    const lock = granted(await client(base, 'lock', { path: '/new.txt', timeout: 'Second-600' }));
    expect(await content('/new.txt')).toBe('');
    expect(await client(base, 'put', { path: '/new.txt', content: 'intruder' })).toMatchObject({ ok: false, status: 423 });
    expect((await client(base, 'put', { path: '/new.txt', content: 'mine', token: lock.token })).ok).toBe(true);
    expect((await client(base, 'get', { path: '/new.txt' })) as unknown).toEqual({ ok: true, result: 'mine' });
    expect((await client(base, 'unlock', { path: '/new.txt', token: lock.token })).ok).toBe(true);
  });
});
