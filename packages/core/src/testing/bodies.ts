/**
 * Byte streams for the conformance suites: bodies to write (whole, chunked,
 * failing, or paused half-way) and a way to drain what an adapter reads.
 */
import type { ByteStream } from '../entry';

/** UTF-8 bytes of a string; bytes pass through. */
export function bytes(data: string | Uint8Array): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
}

/**
 * A body that yields each part as one chunk, asynchronously, the way a
 * request body arrives.
 *
 * @example await adapter.write('/a.txt', bodyOf('hello ', 'world'));
 */
export async function* bodyOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield bytes(part);
}

/** A body yielding `data` in chunks of `chunkSize` bytes (the last may be shorter). */
export async function* chunked(data: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += chunkSize) yield data.subarray(at, at + chunkSize);
}

/** A body that yields `parts` and then throws `error`, like an upload cut off mid-way. */
export async function* failingBody(error: Error, ...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  yield* bodyOf(...parts);
  throw error;
}

/** A body that stops half-way until the test lets it finish or fail. */
export interface PausedBody {
  readonly body: ByteStream;
  /** Resolves once the consumer has taken every chunk before the pause and asks for more. */
  readonly paused: Promise<void>;
  /** Lets the body yield the rest and end. */
  resume(): void;
  /** Makes the body throw instead of yielding the rest. */
  fail(error: Error): void;
}

/** A body yielding `before`, pausing (see {@link PausedBody}), then yielding `after`. */
export function pausedBody(before: Uint8Array, after: Uint8Array): PausedBody {
  let reachPause!: () => void;
  const paused = new Promise<void>((resolve) => (reachPause = resolve));
  let settle!: (error?: Error) => void;
  const settled = new Promise<Error | undefined>((resolve) => (settle = resolve));
  async function* body(): AsyncGenerator<Uint8Array> {
    yield before;
    reachPause();
    const error = await settled;
    if (error !== undefined) throw error;
    yield after;
  }
  return { body: body(), paused, resume: () => settle(), fail: (error) => settle(error) };
}

/** Drains a stream into one buffer. */
export async function readAll(stream: ByteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * `size` bytes of a deterministic pseudo-random pattern (xorshift32), so large
 * bodies are reproducible and two seeds give different content of equal length.
 */
export function patternBytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
