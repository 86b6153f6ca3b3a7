/**
 * The in-memory tree: nodes for files and collections, and the pure
 * operations on them. Paths live only in the tree's shape (a collection maps
 * member names to nodes), so moving a subtree is a single re-link.
 */
import { randomBytes } from 'node:crypto';
import type { Checksums, Entry } from '@davsync/core';

/** Dead properties by Clark name. Replaced, never mutated, so nodes may share one. */
export type PropertyMap = ReadonlyMap<string, string>;

export const NO_PROPERTIES: PropertyMap = new Map();

/** A non-collection. Immutable: a write publishes a new node. */
export interface FileNode {
  readonly kind: 'file';
  readonly bytes: Buffer;
  /** The SHA-1 of media type and bytes; the ETag while no client has set the time. */
  readonly contentTag: string;
  readonly etag: string;
  /** Kept by MOVE and overwrites, new for a copy (see `Entry.fileId`). */
  readonly fileId: string;
  readonly contentType: string | undefined;
  /** Of `bytes`, when the write computed them; shared by copies, which have the same bytes. */
  readonly checksums: Checksums | undefined;
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly modified: number;
  properties: PropertyMap;
}

/** A collection; its member map is the one mutable part of the tree. */
export interface CollectionNode {
  readonly kind: 'collection';
  readonly members: Map<string, MemoryNode>;
  /** Per-store tag; renewed when the collection's own dead properties change. */
  etag: string;
  readonly fileId: string;
  readonly created: number;
  /** Set by the store at creation, or by a client (`setModified`). */
  modified: number;
  properties: PropertyMap;
}

export type MemoryNode = FileNode | CollectionNode;

/**
 * Hands out collection ETags and file IDs: unique within a store (a counter,
 * never reused), and unlikely to repeat across stores.
 */
export class CollectionTags {
  readonly #store = randomBytes(4).toString('hex');
  #next = 0;
  #nextId = 0;

  issue(): string {
    this.#next += 1;
    return `col-${this.#store}-${this.#next.toString(16)}`;
  }

  fileId(): string {
    this.#nextId += 1;
    return `${this.#store}-${this.#nextId.toString(16)}`;
  }
}

/**
 * A file's ETag: its content tag, extended with the modification time when a
 * client set it, so a change of time alone is a new ETag.
 */
export function fileTag(contentTag: string, clientModified: number | undefined): string {
  return clientModified === undefined ? contentTag : `${contentTag}-m${clientModified.toString(36)}`;
}

/** An empty collection with a fresh ETag and file ID. */
export function newCollection(tags: CollectionTags, now: number, properties: PropertyMap = NO_PROPERTIES): CollectionNode {
  return { kind: 'collection', members: new Map(), etag: tags.issue(), fileId: tags.fileId(), created: now, modified: now, properties };
}

/** The node at the given path segments below `root`, or `undefined`. */
export function findNode(root: CollectionNode, segments: readonly string[]): MemoryNode | undefined {
  let node: MemoryNode = root;
  for (const name of segments) {
    if (node.kind !== 'collection') return undefined;
    const next: MemoryNode | undefined = node.members.get(name);
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

/**
 * A copy of `node` as a new resource: fresh dates and file IDs, and for collections fresh
 * ETags and (unless `deep` is false) copies of every member. Content buffers
 * and property maps are shared, which is safe because neither is mutated.
 */
export function copyNode(node: MemoryNode, deep: boolean, tags: CollectionTags, now: number): MemoryNode {
  // The copy's time is its own, so its ETag is its content's again.
  if (node.kind === 'file') return { ...node, etag: node.contentTag, fileId: tags.fileId(), created: now, modified: now };
  const copy = newCollection(tags, now, node.properties);
  if (deep) {
    for (const [name, member] of node.members) copy.members.set(name, copyNode(member, true, tags, now));
  }
  return copy;
}

/** Bytes of content in `node` and below it (a file's size; a collection's members' sum). */
export function bytesIn(node: MemoryNode | undefined): number {
  if (node === undefined) return 0;
  if (node.kind === 'file') return node.bytes.length;
  let total = 0;
  for (const member of node.members.values()) total += bytesIn(member);
  return total;
}

/** The public view of a node; dates are fresh objects so callers cannot alter the store. */
export function toEntry(path: string, node: MemoryNode): Entry {
  const dates = { created: new Date(node.created), modified: new Date(node.modified) };
  if (node.kind === 'collection') return { path, collection: true, etag: node.etag, fileId: node.fileId, ...dates };
  return {
    path,
    collection: false,
    etag: node.etag,
    fileId: node.fileId,
    size: node.bytes.length,
    ...(node.contentType === undefined ? {} : { contentType: node.contentType }),
    ...(node.checksums === undefined ? {} : { checksums: node.checksums }),
    ...dates,
  };
}
