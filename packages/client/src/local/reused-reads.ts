/**
 * A file's bytes read through one buffer, over and over, rather than a
 * fresh Buffer per chunk (`createReadStream`). A dead Buffer's memory
 * comes back only when V8's garbage collector gets round to it: reading a
 * 64 MiB file for its hashes and then for its upload left up to 35 MiB of
 * dead Buffers at a time, and the sync peaked at 107–121 MiB against ~96
 * for a sync with nothing to do. With one buffer the memory is that
 * buffer, whatever the collector does: 96–99 MiB, also at 256 MiB
 * (docs/performance.md, "Client peak memory under load").
 *
 * The price is a contract: **a chunk is valid only until the next one is
 * asked for** — hash it, write it and wait, or copy it; never keep it.
 */
import { open } from 'node:fs/promises';

/** The default read size: large enough for few system calls, small beside the process. */
export const READ_BYTES = 256 * 1024;

export interface ReadRange {
  /** First byte (default 0). */
  readonly start?: number;
  /** One past the last byte (default: the end of the file). */
  readonly end?: number;
  /** The buffer's size (default {@link READ_BYTES}); each chunk is at most this long. */
  readonly bufferBytes?: number;
}

/** Chunks of `file` from `start` to `end` (or its end, if sooner), each a view of the same buffer. */
export async function* reusedReads(file: string, range: ReadRange = {}): AsyncGenerator<Buffer, void, undefined> {
  const end = range.end ?? Infinity;
  let at = range.start ?? 0;
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(range.bufferBytes ?? READ_BYTES, end - at)));
    while (at < end) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - at), at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
