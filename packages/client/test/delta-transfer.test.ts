/**
 * Delta transfer end to end against a davsync server (memory, fs and
 * PostgreSQL stores), bytes counted on the wire by a TCP proxy between
 * client and server:
 *
 * - a 1-byte edit in the middle of a 24 MiB file crosses as about one
 *   4 MiB block each way (a PATCH up, a Range GET down), never the file;
 * - a PATCH chain cut short — a refused PATCH, or a PATCH applied whose
 *   answer was lost (the client killed before it could note it) — ends, on
 *   the next pass, with the edit on the server, no conflict copy, and only
 *   the missing block sent;
 * - without `ds:block-hashes`, or with PATCH refused, the whole file moves
 *   and the result is still right.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { syncUntilAgreed } from '../src/index';
import type { TestDavOptions } from './support/davsync-server';
import { flipByte, randomFile, sha256OfFile, sha256OfUrl } from './support/big-files';
import { bodyOf, withDeltaServer } from './support/delta-server';

const MiB = 1024 * 1024;
const BLOCK = 4 * MiB;
/** Headers, PROPFINDs, the sync REPORT and the block list: generous, and far below a block. */
const OVERHEAD = 256 * 1024;

/** Another client's 1-byte edit on the server (a PATCH straight to it, not through the proxy). */
async function patchRemote(url: string, offset: number, byte: number): Promise<void> {
  const res = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/x-sabredav-partialupdate', 'x-update-range': `bytes=${offset}-${offset}` }, body: Buffer.from([byte]) });
  expect(res.status).toBe(204);
}

describe.each<TestDavOptions>([{}, { store: 'fs' }, { store: 'postgres' }])('delta transfer (server %j)', (serverOptions) => {
  const t = withDeltaServer(serverOptions, 'davsync-client-delta-');

  it('a 1-byte edit in the middle of a 24 MiB file crosses as about one block each way', async () => {
    const { url, direct } = await t.collection('one-byte');
    const file = join(t.dir, 'big.bin');
    await randomFile(file, 24 * MiB);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);

    // Up: the local edit is one PATCH of one block.
    await flipByte(file, 12 * MiB + 5);
    const checksums: (string | undefined)[] = [];
    t.hook = (req) => {
      if (req.method === 'PATCH') checksums.push(req.headers['oc-checksum'] as string | undefined);
      return false;
    };
    t.proxy.reset();
    let from = t.server.requests.length;
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.proxy.counts.up).toBeGreaterThan(BLOCK);
    expect(t.proxy.counts.up).toBeLessThan(BLOCK + OVERHEAD);
    expect(t.proxy.counts.down).toBeLessThan(OVERHEAD);
    expect(t.methods(from).filter((m) => m === 'PATCH')).toHaveLength(1);
    expect(t.methods(from)).not.toContain('PUT');
    expect(await sha256OfUrl(`${direct}big.bin`)).toBe(await sha256OfFile(file));
    // The PATCH carried the whole file's SHA-1 (the server checks the file it makes against it) and the file's own time, as a PUT would.
    expect(checksums).toEqual([`SHA1:${createHash('sha1').update(await readFile(file)).digest('hex')}`]);
    // The file's own time (X-OC-Mtime), as a PUT would.
    const lastModified = (await fetch(`${direct}big.bin`, { method: 'HEAD' })).headers.get('last-modified');
    expect(Date.parse(lastModified ?? '')).toBe(Math.floor((await stat(file)).mtimeMs / 1000) * 1000);

    // Down: another client's edit comes as one Range GET of one block.
    await patchRemote(`${direct}big.bin`, 3 * MiB + 7, 0x42);
    t.proxy.reset();
    from = t.server.requests.length;
    const down = await syncUntilAgreed({ dir: t.dir, url });
    expect(down.agreed).toBe(true);
    expect(down.passes[0]?.counts.downloaded).toBe(1);
    expect(t.proxy.counts.down).toBeGreaterThan(BLOCK);
    expect(t.proxy.counts.down).toBeLessThan(BLOCK + OVERHEAD);
    expect(t.proxy.counts.up).toBeLessThan(OVERHEAD);
    expect(t.methods(from).filter((m) => m === 'GET')).toHaveLength(1);
    expect(await sha256OfFile(file)).toBe(await sha256OfUrl(`${direct}big.bin`));
    expect(await readdir(t.dir)).toEqual(expect.arrayContaining(['big.bin']));
    expect((await readdir(t.dir)).filter((n) => n !== '.davsync-client')).toEqual(['big.bin']);
  }, 120_000);

  it('a file that grew is extended by PATCH; one that shrank is PUT whole; one grown on the server comes down as its changed tail', async () => {
    const { url, direct } = await t.collection('sizes');
    const file = join(t.dir, 'grows.bin');
    await randomFile(file, 16 * MiB);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    const handle = await open(file, 'a');
    await handle.write(randomBytes(100_000));
    await handle.close();
    t.proxy.reset();
    let from = t.server.requests.length;
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.methods(from)).toContain('PATCH');
    expect(t.methods(from)).not.toContain('PUT');
    expect(t.proxy.counts.up).toBeLessThan(BLOCK + OVERHEAD);
    expect(await sha256OfUrl(`${direct}grows.bin`)).toBe(await sha256OfFile(file));

    const shrink = await open(file, 'r+');
    await shrink.truncate(10 * MiB);
    await shrink.close();
    from = t.server.requests.length;
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.methods(from)).toContain('PUT');
    expect(await sha256OfUrl(`${direct}grows.bin`)).toBe(await sha256OfFile(file));

    // Grown on the server: the download rebuilds it from the local blocks and the new tail.
    const appended = await fetch(`${direct}grows.bin`, { method: 'PATCH', headers: { 'content-type': 'application/x-sabredav-partialupdate', 'x-update-range': 'append' }, body: randomBytes(100_000) });
    expect(appended.status).toBe(204);
    t.proxy.reset();
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.proxy.counts.down).toBeLessThan(BLOCK + OVERHEAD);
    expect(await sha256OfFile(file)).toBe(await sha256OfUrl(`${direct}grows.bin`));
  }, 120_000);

  it('a refused PATCH mid-chain: the next pass sends only what is missing, with no conflict', async () => {
    const { url, direct } = await t.collection('refused');
    const file = join(t.dir, 'big.bin');
    await randomFile(file, 32 * MiB);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    for (const block of [0, 3, 6]) await flipByte(file, block * BLOCK + 100);
    let patches = 0;
    t.hook = async (req, res) => {
      if (req.method !== 'PATCH' || ++patches !== 2) return false;
      await bodyOf(req);
      res.writeHead(503, { 'content-length': '0' }).end();
      return true;
    };
    t.proxy.reset();
    const from = t.server.requests.length;
    const result = await syncUntilAgreed({ dir: t.dir, url });
    expect(result.agreed).toBe(true);
    expect(result.passes[0]?.counts.failed).toBe(1);
    // 1st PATCH kept, 2nd refused; the next pass: the 2nd and 3rd blocks, never the file.
    expect(t.methods(from).filter((m) => m === 'PATCH')).toHaveLength(4);
    expect(t.methods(from)).not.toContain('PUT');
    expect(t.proxy.counts.up).toBeLessThan(4 * BLOCK + OVERHEAD);
    expect(result.passes.every((p) => p.counts.conflicts === 0)).toBe(true);
    expect((await readdir(t.dir)).filter((n) => n !== '.davsync-client')).toEqual(['big.bin']);
    expect(await sha256OfUrl(`${direct}big.bin`)).toBe(await sha256OfFile(file));
  }, 120_000);

  it('a PATCH applied whose answer is lost (the client dies before noting it): the rerun converges with no conflict copy', async () => {
    const { url, direct } = await t.collection('lost-answer');
    const file = join(t.dir, 'big.bin');
    await randomFile(file, 32 * MiB);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    for (const block of [0, 3, 6]) await flipByte(file, block * BLOCK + 100);
    const edited = await sha256OfFile(file);
    let patches = 0;
    t.hook = (req, res) => {
      if (req.method !== 'PATCH' || ++patches !== 2) return false;
      // The server stores the 2nd PATCH, then the connection drops instead of its answer.
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as typeof res.end;
      return false;
    };
    await expect(syncUntilAgreed({ dir: t.dir, url })).rejects.toThrow(/connection|closed|reset/i);
    t.hook = undefined;
    const from = t.server.requests.length;
    const result = await syncUntilAgreed({ dir: t.dir, url });
    expect(result.agreed).toBe(true);
    expect(result.passes.every((p) => p.counts.conflicts === 0)).toBe(true);
    // Only the 3rd block was still missing.
    expect(t.methods(from).filter((m) => m === 'PATCH')).toHaveLength(1);
    expect(t.methods(from)).not.toContain('PUT');
    expect((await readdir(t.dir)).filter((n) => n !== '.davsync-client')).toEqual(['big.bin']);
    expect(await sha256OfFile(file)).toBe(edited);
    expect(await sha256OfUrl(`${direct}big.bin`)).toBe(edited);
  }, 120_000);

  it('without block hashes (a server that drops the property) or with PATCH refused (405), the whole file moves and the result is right', async () => {
    const { url, direct } = await t.collection('fallback');
    const file = join(t.dir, 'big.bin');
    await randomFile(file, 16 * MiB);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);

    // PATCH refused: a full PUT.
    t.hook = async (req, res) => {
      if (req.method !== 'PATCH') return false;
      await bodyOf(req);
      res.writeHead(405, { allow: 'GET, PUT', 'content-length': '0' }).end();
      return true;
    };
    await flipByte(file, 8 * MiB);
    t.proxy.reset();
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.proxy.counts.up).toBeGreaterThan(16 * MiB);
    expect(await sha256OfUrl(`${direct}big.bin`)).toBe(await sha256OfFile(file));

    // No block hashes: PROPFINDs are answered without the property; the download is whole.
    t.hook = async (req, res) => {
      if (req.method !== 'PROPFIND') return false;
      const body = await bodyOf(req);
      Object.assign(req, { body: Buffer.from(body.replace(/<[^<>]*block-hashes[^<>]*\/>/g, '')) });
      return false;
    };
    await patchRemote(`${direct}big.bin`, 9 * MiB, 1);
    t.proxy.reset();
    let from = t.server.requests.length;
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.proxy.counts.down).toBeGreaterThan(16 * MiB);
    expect(await sha256OfFile(file)).toBe(await sha256OfUrl(`${direct}big.bin`));
    // And a local edit goes up whole with PUT, no PATCH tried.
    await flipByte(file, 2 * MiB);
    from = t.server.requests.length;
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.methods(from)).toContain('PUT');
    expect(t.methods(from)).not.toContain('PATCH');
    expect(await sha256OfUrl(`${direct}big.bin`)).toBe(await sha256OfFile(file));
  }, 120_000);
});
