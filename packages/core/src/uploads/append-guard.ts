/**
 * One appender per upload within a process: the second request to append
 * to (or remove) an upload while an append runs is refused at once with
 * `busy` rather than queued, so a client resuming after a connection it
 * thinks is dead learns it, and the two never interleave bytes. (Stores
 * shared by several processes add their own cross-process lock.)
 */
import { DavError } from '../errors';

export class AppendGuard {
  readonly #held = new Set<string>();

  /** Takes the upload, or throws `busy`; call the returned function to release it. */
  take(id: string): () => void {
    if (this.#held.has(id)) throw new DavError('busy', `davsync: another request is appending to upload ${id}`);
    this.#held.add(id);
    return () => this.#held.delete(id);
  }

  /** True while an append to `id` runs. */
  holds(id: string): boolean {
    return this.#held.has(id);
  }
}

/** The checks every store makes before appending: the offset must be the upload's. */
export function checkOffset(id: string, current: number, offset: number): void {
  if (offset !== current) throw new DavError('conflict', `davsync: upload ${id} is at offset ${current}, not ${offset}`);
}

/** Throws `payload-too-large` when `offset` has gone past `maxBytes`; `conflict` when an announced length changes. */
export function checkSize(offset: number, maxBytes: number | undefined): void {
  if (maxBytes !== undefined && offset > maxBytes) throw new DavError('payload-too-large', `davsync: upload larger than ${maxBytes} bytes`);
}

export function checkLength(id: string, known: number | undefined, announced: number | undefined): void {
  if (known !== undefined && announced !== undefined && known !== announced) {
    throw new DavError('conflict', `davsync: upload ${id} was announced with length ${known}, now ${announced}`);
  }
}
