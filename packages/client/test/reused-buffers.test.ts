/**
 * The client's reads go through one reused buffer (`local/reused-reads.ts`),
 * which is safe only because every consumer is done with a chunk before it
 * asks for the next — the streamed request included: it waits until the
 * socket has taken a chunk (`remote/streamed-request.ts`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { reusedReads } from '../src/local/reused-reads';
import { sendStreamed } from '../src/remote/streamed-request';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'davsync-reused-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; buffers: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const chunk of chunks) {
    buffers.add(chunk.buffer);
    parts.push(Buffer.from(chunk)); // a copy: the chunk is valid only until the next one
  }
  return { bytes: Buffer.concat(parts), buffers };
}

describe('reusedReads', () => {
  it('gives the whole file, or a range of it, through one buffer', async () => {
    const content = randomBytes(1_000_003);
    const file = join(dir, 'some.bin');
    await writeFile(file, content);
    const whole = await collect(reusedReads(file, { bufferBytes: 4096 }));
    expect(whole.bytes.equals(content)).toBe(true);
    expect(whole.buffers.size).toBe(1);
    expect((await collect(reusedReads(file, { start: 5000, end: 123_457, bufferBytes: 1000 }))).bytes.equals(content.subarray(5000, 123_457))).toBe(true);
    // A range past the end stops at the end; an empty range and an empty file give nothing.
    expect((await collect(reusedReads(file, { start: 999_000, end: 2_000_000 }))).bytes.equals(content.subarray(999_000))).toBe(true);
    expect((await collect(reusedReads(file, { start: 10, end: 10 }))).bytes.length).toBe(0);
    await writeFile(join(dir, 'empty'), '');
    expect((await collect(reusedReads(join(dir, 'empty')))).bytes.length).toBe(0);
  });
});

describe('sendStreamed', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  it('has sent each chunk before it asks for the next: a body that refills one buffer arrives intact at a slow server', async () => {
    // The server reads a little, then pauses, so the client's socket fills up and writes queue.
    const received = new Promise<string>((resolve, reject) => {
      server = createServer((req, res) => {
        const hash = createHash('sha256');
        let paused = 0;
        req.on('data', (d: Buffer) => {
          hash.update(d);
          if (++paused % 8 === 0) {
            req.pause();
            setTimeout(() => req.resume(), 5);
          }
        });
        req.on('end', () => {
          resolve(hash.digest('hex'));
          res.writeHead(204).end();
        });
        req.on('error', reject);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;

    const CHUNKS = 200;
    const one = Buffer.alloc(64 * 1024);
    const expected = createHash('sha256');
    async function* refilled(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < CHUNKS; i++) {
        one.fill(i % 251);
        expected.update(one);
        yield one;
      }
    }
    const res = await sendStreamed(`http://127.0.0.1:${port}/x`, 'PUT', { 'content-length': String(CHUNKS * one.length) }, refilled());
    expect(res.status).toBe(204);
    expect(await received).toBe(expected.digest('hex'));
  });

  it('still reads the answer of a server that refuses before it has read the body', async () => {
    server = createServer((req, res) => {
      res.writeHead(412, { connection: 'close' }).end();
      req.destroy();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;
    const chunk = Buffer.alloc(64 * 1024, 1);
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10_000; i++) yield chunk;
    }
    const res = await sendStreamed(`http://127.0.0.1:${port}/x`, 'PUT', { 'content-length': String(10_000 * chunk.length) }, endless());
    expect(res.status).toBe(412);
  });
});
