/**
 * A local file cut into FastCDC chunks with the server's parameters
 * (`ds:chunk-hashes`, `@davsync/protocol`'s chunker), in one streamed read:
 * the chunks of the old copy a delta download can reuse after bytes were
 * inserted or removed on the server. The chunker keeps no chunk it is fed,
 * so the file is read through one reused buffer (`reused-reads.ts`).
 */
import { chunksOf, type ChunkParams, type ContentChunk } from '@davsync/protocol';
import { reusedReads } from './reused-reads';

export async function fileChunks(file: string, params: ChunkParams): Promise<ContentChunk[]> {
  return chunksOf(reusedReads(file, { bufferBytes: 1024 * 1024 }), params);
}
