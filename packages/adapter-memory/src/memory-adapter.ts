/**
 * The reference storage adapter: a whole WebDAV tree in process memory. It
 * follows the `StorageAdapter` contract to the letter so the core and the
 * middleware can be tested against it, and so adapter authors can read how
 * each rule plays out. Nothing survives the process.
 */
import {
  ROOT,
  abortableBody,
  baseName,
  checkOverwrite,
  checkTransferPaths,
  childPath,
  conflict,
  forbidden,
  methodNotAllowed,
  normalizePath,
  notFound,
  parentOf,
  preconditionFailed,
  type ByteRange,
  type ByteStream,
  type CopyOptions,
  type DeadPropertyStore,
  type Entry,
  type MoveOptions,
  type ReadOptions,
  type StorageAdapter,
  type TransferResult,
  type QuotaFigures,
  type WriteOptions,
  checkQuotaBytes,
  quotaExceeded,
  quotaFigures,
  withinQuota,
  MemoryUploadStore,
} from '@davsync/core';
import { streamContent, takeContent } from './content';
import { patchProperties } from './dead-properties';
import {
  CollectionTags,
  NO_PROPERTIES,
  bytesIn,
  copyNode,
  fileTag,
  findNode,
  newCollection,
  toEntry,
  type CollectionNode,
  type FileNode,
  type MemoryNode,
} from './tree';

/** Options of {@link MemoryAdapter}. */
export interface MemoryAdapterOptions {
  /**
   * Bytes of file content the store may hold (RFC 4331 quota): a write or
   * COPY that would pass it is refused with 507 `DAV:quota-not-exceeded`
   * and stores nothing. Absent: no limit (then `DAV:quota-available-bytes`
   * is not reported; `DAV:quota-used-bytes` is).
   */
  readonly quotaBytes?: number;
}

/** Where a member lives (or would live): its parent collection and its name there. */
interface Slot {
  readonly parent: CollectionNode;
  readonly name: string;
  readonly current: MemoryNode | undefined;
}

/**
 * A `StorageAdapter` that keeps everything in memory, with dead properties.
 * Meant for tests, demos and as a model for other adapters, not for data
 * that must survive a restart.
 *
 * - Every operation takes effect in one synchronous step, so concurrent
 *   callers see each member either before or after it, never half-way.
 * - `write` reads the body to its end before publishing anything: a body
 *   that fails leaves the previous content and ETag in place. (Holding the
 *   body in memory is what a memory store does; the contract's "must not
 *   buffer" is about stores that have somewhere else to put it.)
 * - File ETags are the SHA-1 of media type and bytes, so they are stable for
 *   equal content (with the time appended once a client set one); collection ETags are issued per store and renewed when the
 *   collection's own dead properties change.
 * - File IDs come from a per-store counter: MOVE keeps them, COPY and
 *   re-creation draw new ones.
 * - COPY and MOVE also refuse (`forbidden`) to replace an ancestor of the
 *   source, the root included: doing so would delete the source on the way.
 * - The bytes held are a running total, kept by every mutation, so `quota`
 *   answers for the whole store at once (RFC 4331 §4 lets the figures cover
 *   more than the collection asked about); a COPY or DELETE of a subtree
 *   counts its bytes, which it walks anyway.
 *
 * @example
 * const adapter = new MemoryAdapter();
 * await adapter.mkcol('/notes');
 * await adapter.write('/notes/a.txt', Readable.from([Buffer.from('hello')]), { contentType: 'text/plain' });
 * for await (const entry of adapter.list('/notes')) console.log(entry.path, entry.etag);
 */
export class MemoryAdapter implements StorageAdapter {
  readonly #tags = new CollectionTags();
  readonly #root: CollectionNode = newCollection(this.#tags, Date.now());
  readonly #quotaBytes: number | undefined;
  /** Bytes of file content held (copies count again: a quota is on what the user stores). */
  #used = 0;

  constructor(options: MemoryAdapterOptions = {}) {
    this.#quotaBytes = checkQuotaBytes(options.quotaBytes, 'MemoryAdapter');
  }

  /** Dead properties; a patch is validated whole, then applied in one step. */
  /** Resumable uploads wait in memory too, as chunks (`MemoryUploadStore`). */
  readonly uploads = new MemoryUploadStore();

  readonly properties: DeadPropertyStore = {
    get: async (path) => Object.fromEntries(this.#existing(normalizePath(path)).properties),
    patch: async (path, set, remove) => {
      const node = this.#existing(normalizePath(path));
      node.properties = patchProperties(node.properties, set, remove);
      // Collections have no content to hash, so their tag follows their properties.
      if (node.kind === 'collection') node.etag = this.#tags.issue();
    },
  };

  /** The store's figures, the same for every collection (RFC 4331). */
  async quota(path: string): Promise<QuotaFigures | undefined> {
    return this.#find(normalizePath(path))?.kind === 'collection' ? quotaFigures(this.#used, this.#quotaBytes) : undefined;
  }

  async stat(path: string): Promise<Entry | undefined> {
    const p = normalizePath(path);
    const node = this.#find(p);
    return node === undefined ? undefined : toEntry(p, node);
  }

  async *list(path: string, options: ReadOptions = {}): AsyncIterable<Entry> {
    const p = normalizePath(path);
    const node = this.#existing(p);
    if (node.kind !== 'collection') throw conflict(p, 'not a collection');
    // Entries are taken up front so changes made while the caller iterates
    // neither break the iteration nor show up half-way through it.
    const entries = [...node.members].map(([name, member]) => toEntry(childPath(p, name), member));
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      yield entry;
    }
  }

  async read(path: string, range?: ByteRange, options: ReadOptions = {}): Promise<ByteStream> {
    const p = normalizePath(path);
    const node = this.#existing(p);
    if (node.kind !== 'file') throw conflict(p, 'a collection has no content');
    return abortableBody(streamContent(node.bytes, range), options.signal);
  }

  async write(path: string, body: ByteStream, options: WriteOptions = {}): Promise<Entry> {
    const p = normalizePath(path);
    // Checked before reading the body so a doomed upload is not read at all,
    // and again after, because the tree may have changed while it streamed.
    const before = this.#writableSlot(p, options.expectedEtag);
    const quota = this.#quotaBytes;
    // Cut off an upload as soon as it cannot fit, rather than hold it whole.
    const oldSize = bytesIn(before.current);
    // A write no larger than what it replaces always fits: it cannot add to the total.
    const counted = quota === undefined ? body : withinQuota(body, Math.max(oldSize, quota - this.#used + oldSize), p, quota);
    const content = await takeContent(counted, options.contentType);
    // After the last byte, before anything is published: a checksum the
    // client announced that does not match throws here, and nothing changes.
    const checksums = await options.checksums?.();
    const { parent, name, current } = this.#writableSlot(p, options.expectedEtag);
    this.#account(p, content.bytes.length - bytesIn(current));
    const now = Date.now();
    const clientTime = options.modified?.getTime();
    const node: FileNode = {
      kind: 'file',
      bytes: content.bytes,
      contentTag: content.etag,
      etag: fileTag(content.etag, clientTime),
      // Overwriting content keeps the member's identity; a collection replaced is not possible here.
      fileId: current?.fileId ?? this.#tags.fileId(),
      contentType: options.contentType,
      checksums,
      created: current?.created ?? now,
      modified: clientTime ?? now,
      // RFC 4918 §9.7.1: replacing the content leaves dead properties alone.
      properties: current?.properties ?? NO_PROPERTIES,
    };
    parent.members.set(name, node);
    return toEntry(p, node);
  }

  async setModified(path: string, modified: Date): Promise<Entry> {
    const p = normalizePath(path);
    const node = this.#existing(p);
    const ms = modified.getTime();
    if (node.kind === 'collection') {
      // A collection's tag stays (as on the other stores); the engine journals the change.
      node.modified = ms;
      return toEntry(p, node);
    }
    const slot = this.#slot(p);
    if (slot === undefined) throw notFound(p);
    // File nodes are immutable: publish a new one in one step.
    const next: FileNode = { ...node, modified: ms, etag: fileTag(node.contentTag, ms) };
    slot.parent.members.set(slot.name, next);
    return toEntry(p, next);
  }

  async remove(path: string): Promise<void> {
    const p = normalizePath(path);
    if (p === ROOT) throw forbidden('the root collection cannot be removed', p);
    const slot = this.#slot(p);
    if (slot?.current === undefined) throw notFound(p);
    slot.parent.members.delete(slot.name);
    this.#used -= bytesIn(slot.current);
  }

  async mkcol(path: string): Promise<Entry> {
    const p = normalizePath(path);
    if (this.#find(p) !== undefined) throw methodNotAllowed(p, 'a member already exists here');
    const { parent, name } = this.#parentSlot(p);
    const node = newCollection(this.#tags, Date.now());
    parent.members.set(name, node);
    return toEntry(p, node);
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<TransferResult> {
    const { source, target } = this.#transfer(from, to, options.overwrite ?? true);
    const deep = (options.depth ?? 'infinity') === 'infinity';
    const copy = copyNode(source.node, deep, this.#tags, Date.now());
    this.#account(normalizePath(to), bytesIn(copy) - bytesIn(target.current));
    target.parent.members.set(target.name, copy);
    return { created: target.current === undefined };
  }

  async move(from: string, to: string, options: MoveOptions = {}): Promise<TransferResult> {
    const { source, target } = this.#transfer(from, to, options.overwrite ?? true);
    source.parent.members.delete(source.name);
    target.parent.members.set(target.name, source.node);
    this.#used -= bytesIn(target.current);
    return { created: target.current === undefined };
  }

  /** Adds `delta` bytes to the total, unless that passes the quota: then `quotaExceeded`, before anything changed. */
  #account(p: string, delta: number): void {
    if (this.#quotaBytes !== undefined && delta > 0 && this.#used + delta > this.#quotaBytes) throw quotaExceeded(p, this.#quotaBytes);
    this.#used += delta;
  }

  /** The node at a normalised path, or `undefined`. */
  #find(p: string): MemoryNode | undefined {
    return findNode(this.#root, p === ROOT ? [] : p.slice(1).split('/'));
  }

  #existing(p: string): MemoryNode {
    const node = this.#find(p);
    if (node === undefined) throw notFound(p);
    return node;
  }

  /** The slot of a non-root path whose parent is a collection, or `undefined`. */
  #slot(p: string): Slot | undefined {
    const parentPath = parentOf(p);
    const parent = parentPath === undefined ? undefined : this.#find(parentPath);
    if (parent?.kind !== 'collection') return undefined;
    const name = baseName(p);
    return { parent, name, current: parent.members.get(name) };
  }

  /** Like `#slot`, but a missing parent collection is a `conflict` (RFC 4918 §9.3.1, §9.7.1). */
  #parentSlot(p: string): Slot {
    const slot = this.#slot(p);
    if (slot === undefined) throw conflict(p, 'the parent collection does not exist');
    return slot;
  }

  #writableSlot(p: string, expectedEtag: string | null | undefined): Slot {
    if (p === ROOT) throw methodNotAllowed(p, 'the root is a collection');
    const slot = this.#parentSlot(p);
    if (slot.current?.kind === 'collection') throw methodNotAllowed(p, 'cannot write content to a collection');
    if (expectedEtag !== undefined && (slot.current?.etag ?? null) !== expectedEtag) {
      throw preconditionFailed(expectedEtag === null ? 'the member exists' : 'the ETag does not match', p);
    }
    return slot;
  }

  /** Checks a COPY or MOVE in the order of the contract and locates both ends. */
  #transfer(from: string, to: string, overwrite: boolean): { source: Slot & { node: MemoryNode }; target: Slot } {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    const node = this.#existing(src);
    checkTransferPaths(src, dst);
    const target = this.#parentSlot(dst);
    checkOverwrite(dst, target.current !== undefined, overwrite);
    // `src` is not the root (every destination lies within the root), so it has a slot.
    const source = this.#slot(src);
    if (source === undefined) throw notFound(src);
    return { source: { ...source, node }, target };
  }
}
