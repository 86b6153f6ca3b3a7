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
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { syncUntilAgreed } from '../src/index';
import { startDavServer, type TestDavOptions, type TestDavServer } from './support/davsync-server';
import { startCountingProxy, type CountingProxy } from './support/counting-proxy';

const MiB = 1024 * 1024;
const SIZE = 40 * MiB;
/** Headers, PROPFINDs (the block and chunk lists), the sync REPORT: generous, and far below a chunk. */
const OVERHEAD = 256 * 1024;
/** Chunks are at most 16 MiB (FastCDC max); an insertion touches one, rarely two. */
const AROUND_INSERTION = 2 * 16 * MiB;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

type Hook = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;

describe.each<TestDavOptions>([{}, { store: 'fs' }, { store: 'postgres' }])('delta download after an insertion (server %j)', (serverOptions) => {
  let server: TestDavServer;
  let proxy: CountingProxy;
  let hook: Hook | undefined;
  let tmp: string;
  let dir: string;

  beforeAll(async () => {
    server = await startDavServer({ ...serverOptions, before: (req, res) => hook?.(req, res) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    hook = undefined;
    tmp = await mkdtemp(join(tmpdir(), 'davsync-client-cdc-'));
    dir = join(tmp, 'folder');
    await mkdir(dir);
    proxy = await startCountingProxy(server.url);
  });
  afterEach(async () => {
    await proxy?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  /** A synced 40 MiB file, then 1 KiB inserted in its middle on the server (a PUT straight to it); the new bytes. */
  async function insertedOnServer(name: string): Promise<{ url: string; file: string; inserted: Buffer }> {
    expect((await fetch(`${server.url}${name}/`, { method: 'MKCOL' })).status).toBe(201);
    const url = `${proxy.url}${name}/`;
    const file = join(dir, 'big.bin');
    const original = randomBytes(SIZE);
    await writeFile(file, original);
    expect((await syncUntilAgreed({ dir, url })).agreed).toBe(true);
    const at = SIZE / 2 + 12345;
    const inserted = Buffer.concat([original.subarray(0, at), randomBytes(1024), original.subarray(at)]);
    const put = await fetch(`${server.url}${name}/big.bin`, { method: 'PUT', body: inserted });
    expect(put.status).toBe(204);
    return { url, file, inserted };
  }

  it('1 KiB inserted in the middle of a 40 MiB file comes down as the chunks around it, not the file', async () => {
    const { url, file, inserted } = await insertedOnServer('inserted');
    proxy.reset();
    const from = server.requests.length;
    const down = await syncUntilAgreed({ dir, url });
    expect(down.agreed).toBe(true);
    expect(down.passes[0]?.counts.downloaded).toBe(1);
    // A whole download is 40 MiB; the fixed blocks alone would have fetched it all (every block after the insertion moved).
    expect(proxy.counts.down).toBeGreaterThan(1024);
    expect(proxy.counts.down).toBeLessThan(AROUND_INSERTION + OVERHEAD);
    expect(proxy.counts.down).toBeLessThan(SIZE / 2);
    const methods = server.requests.slice(from).map((r) => r.method);
    expect(methods.filter((m) => m === 'PROPFIND').length).toBeGreaterThanOrEqual(2);
    expect(await sha256OfFile(file)).toBe(sha256(inserted));
  }, 180_000);

  it('without ds:chunk-hashes the shifted file comes down whole, and right', async () => {
    const { url, file, inserted } = await insertedOnServer('no-chunks');
    hook = async (req) => {
      if (req.method !== 'PROPFIND') return false;
      const body = await bodyOf(req);
      Object.assign(req, { body: Buffer.from(body.replace(/<[^<>]*chunk-hashes[^<>]*\/>/g, '')) });
      return false;
    };
    proxy.reset();
    expect((await syncUntilAgreed({ dir, url })).agreed).toBe(true);
    expect(proxy.counts.down).toBeGreaterThan(SIZE);
    expect(await sha256OfFile(file)).toBe(sha256(inserted));
    expect((await readFile(file)).length).toBe(SIZE + 1024);
  }, 180_000);
});
