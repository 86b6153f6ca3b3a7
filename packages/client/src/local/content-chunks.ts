/**
 * A local file cut into FastCDC chunks with the server's parameters
 * (`ds:chunk-hashes`, `@davsync/protocol`'s chunker), in one streamed read:
 * the chunks of the old copy a delta download can reuse after bytes were
 * inserted or removed on the server.
 */
import { createReadStream } from 'node:fs';
import { chunksOf, type ChunkParams, type ContentChunk } from '@davsync/protocol';

export async function fileChunks(file: string, params: ChunkParams): Promise<ContentChunk[]> {
  return chunksOf(createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>, params);
}
