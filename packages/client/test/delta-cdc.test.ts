/**
 * Delta download after an insertion (FastCDC, `ds:chunk-hashes`) end to end
 * against a davsync server (memory, fs and PostgreSQL stores), bytes
 * counted on the wire by a TCP proxy:
 *
 * - 1 KiB inserted in the middle of a 40 MiB file on the server shifts
 *   every fixed block after it; the client fetches only the chunks around
 *   the insertion (a few MiB), never the file, and ends with the server's
 *   bytes;
 * - a server that does not answer `ds:chunk-hashes` gets today's
 *   behaviour: the whole file, still right.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { syncUntilAgreed } from '../src/index';
import type { TestDavOptions } from './support/davsync-server';
import { sha256OfFile } from './support/big-files';
import { bodyOf, withDeltaServer } from './support/delta-server';

const MiB = 1024 * 1024;
const SIZE = 40 * MiB;
/** Headers, PROPFINDs (the block and chunk lists), the sync REPORT: generous, and far below a chunk. */
const OVERHEAD = 256 * 1024;
/** Chunks are at most 16 MiB (FastCDC max); an insertion touches one, rarely two. */
const AROUND_INSERTION = 2 * 16 * MiB;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe.each<TestDavOptions>([{}, { store: 'fs' }, { store: 'postgres' }])('delta download after an insertion (server %j)', (serverOptions) => {
  const t = withDeltaServer(serverOptions, 'davsync-client-cdc-');

  /** A synced 40 MiB file, then 1 KiB inserted in its middle on the server (a PUT straight to it); the new bytes. */
  async function insertedOnServer(name: string): Promise<{ url: string; file: string; inserted: Buffer }> {
    const { url, direct } = await t.collection(name);
    const file = join(t.dir, 'big.bin');
    const original = randomBytes(SIZE);
    await writeFile(file, original);
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    const at = SIZE / 2 + 12345;
    const inserted = Buffer.concat([original.subarray(0, at), randomBytes(1024), original.subarray(at)]);
    const put = await fetch(`${direct}big.bin`, { method: 'PUT', body: inserted });
    expect(put.status).toBe(204);
    return { url, file, inserted };
  }

  it('1 KiB inserted in the middle of a 40 MiB file comes down as the chunks around it, not the file', async () => {
    const { url, file, inserted } = await insertedOnServer('inserted');
    t.proxy.reset();
    const from = t.server.requests.length;
    const down = await syncUntilAgreed({ dir: t.dir, url });
    expect(down.agreed).toBe(true);
    expect(down.passes[0]?.counts.downloaded).toBe(1);
    // A whole download is 40 MiB; the fixed blocks alone would have fetched it all (every block after the insertion moved).
    expect(t.proxy.counts.down).toBeGreaterThan(1024);
    expect(t.proxy.counts.down).toBeLessThan(AROUND_INSERTION + OVERHEAD);
    expect(t.proxy.counts.down).toBeLessThan(SIZE / 2);
    const methods = t.server.requests.slice(from).map((r) => r.method);
    expect(methods.filter((m) => m === 'PROPFIND').length).toBeGreaterThanOrEqual(2);
    expect(await sha256OfFile(file)).toBe(sha256(inserted));
  }, 180_000);

  it('without ds:chunk-hashes the shifted file comes down whole, and right', async () => {
    const { url, file, inserted } = await insertedOnServer('no-chunks');
    t.hook = async (req) => {
      if (req.method !== 'PROPFIND') return false;
      const body = await bodyOf(req);
      Object.assign(req, { body: Buffer.from(body.replace(/<[^<>]*chunk-hashes[^<>]*\/>/g, '')) });
      return false;
    };
    t.proxy.reset();
    expect((await syncUntilAgreed({ dir: t.dir, url })).agreed).toBe(true);
    expect(t.proxy.counts.down).toBeGreaterThan(SIZE);
    expect(await sha256OfFile(file)).toBe(sha256(inserted));
    expect((await readFile(file)).length).toBe(SIZE + 1024);
  }, 180_000);
});
