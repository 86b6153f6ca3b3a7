/**
 * Reading a server's `ds:chunk-hashes` (docs/transfer.md, "Chunk hashes"):
 * a file's FastCDC chunk list and the parameters it was cut with. Only a
 * list this client can reproduce and check is taken — its chunker, SHA-256,
 * sizes it accepts, chunks that tile the file exactly — anything else is
 * `undefined`, and the caller falls back to the fixed blocks or the whole
 * file.
 */
import { FASTCDC_CHUNKER, isChunkParams, type ChunkParams, type ContentChunk, type XmlElement } from '@davsync/protocol';

/** davsync's namespace (as in remote-blocks.ts, which imports this module). */
const DAVSYNC_NS = 'https://davsync.dev/ns';
export const CHUNK_HASHES = `{${DAVSYNC_NS}}chunk-hashes`;

/** A version's chunk list. */
export interface ChunkList {
  readonly params: ChunkParams;
  readonly chunks: readonly ContentChunk[];
}

const CHUNK = /^([0-9]{1,16}):([0-9]{1,16}):([0-9a-fA-F]{64})$/;

/** The list in a `ds:chunk-hashes` element of a file of `size` bytes; `undefined` when unusable. */
export function parseChunkList(el: XmlElement, size: number): ChunkList | undefined {
  const text = (local: string) => el.children.find((c) => c.name === `{${DAVSYNC_NS}}${local}`)?.text.trim();
  if (text('chunker') !== FASTCDC_CHUNKER || text('algorithm')?.toLowerCase() !== 'sha256') return undefined;
  const params = { min: Number(text('min-size')), avg: Number(text('avg-size')), max: Number(text('max-size')) };
  if (!isChunkParams(params)) return undefined;
  const listed = text('chunks') ?? '';
  const chunks: ContentChunk[] = [];
  let next = 0;
  for (const item of listed === '' ? [] : listed.split(/\s+/)) {
    const m = CHUNK.exec(item);
    if (m === null) return undefined;
    const chunk = { offset: Number(m[1]), length: Number(m[2]), hash: (m[3] as string).toLowerCase() };
    // Chunks in order, back to back, none empty or longer than the maximum.
    if (chunk.offset !== next || chunk.length < 1 || chunk.length > params.max) return undefined;
    chunks.push(chunk);
    next += chunk.length;
  }
  return next === size ? { params, chunks } : undefined;
}
