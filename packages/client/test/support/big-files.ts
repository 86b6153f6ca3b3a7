/**
 * Large files for the delta-transfer tests (client and CLI): written from
 * random bytes a MiB at a time, compared by SHA-256 streamed from disk or
 * from a server, and edited one byte in place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { expect } from '@jest/globals';

const MiB = 1024 * 1024;

/** Writes `size` random bytes, a MiB at a time; their SHA-256. */
export async function randomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let at = 0; at < size; at += MiB) {
    const piece = randomBytes(Math.min(MiB, size - at));
    hash.update(piece);
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.once('error', reject).end(() => resolve()));
  return hash.digest('hex');
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The SHA-256 of what a GET of `url` serves (which must be a 200), streamed. */
export async function sha256OfUrl(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const hash = createHash('sha256');
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

/** Flips the byte at `offset` in place (same size; a new mtime). */
export async function flipByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, offset);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, offset);
  } finally {
    await handle.close();
  }
}
