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
  readonly etag: string;
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
  readonly created: number;
  readonly modified: number;
  properties: PropertyMap;
}

export type MemoryNode = FileNode | CollectionNode;

/** Hands out collection ETags: unique within a store, and unlikely to repeat across stores. */
export class CollectionTags {
  readonly #store = randomBytes(4).toString('hex');
  #next = 0;

  issue(): string {
    this.#next += 1;
    return `col-${this.#store}-${this.#next.toString(16)}`;
  }
}

/** An empty collection with a fresh ETag. */
export function newCollection(tags: CollectionTags, now: number, properties: PropertyMap = NO_PROPERTIES): CollectionNode {
  return { kind: 'collection', members: new Map(), etag: tags.issue(), created: now, modified: now, properties };
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
 * A copy of `node` as a new resource: fresh dates, and for collections fresh
 * ETags and (unless `deep` is false) copies of every member. Content buffers
 * and property maps are shared, which is safe because neither is mutated.
 */
export function copyNode(node: MemoryNode, deep: boolean, tags: CollectionTags, now: number): MemoryNode {
  if (node.kind === 'file') return { ...node, created: now, modified: now };
  const copy = newCollection(tags, now, node.properties);
  if (deep) {
    for (const [name, member] of node.members) copy.members.set(name, copyNode(member, true, tags, now));
  }
  return copy;
}

/** The public view of a node; dates are fresh objects so callers cannot alter the store. */
export function toEntry(path: string, node: MemoryNode): Entry {
  const dates = { created: new Date(node.created), modified: new Date(node.modified) };
  if (node.kind === 'collection') return { path, collection: true, etag: node.etag, ...dates };
  return {
    path,
    collection: false,
    etag: node.etag,
    size: node.bytes.length,
    ...(node.contentType === undefined ? {} : { contentType: node.contentType }),
    ...(node.checksums === undefined ? {} : { checksums: node.checksums }),
    ...dates,
  };
}
