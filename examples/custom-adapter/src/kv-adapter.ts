/**
 * A storage adapter over a key–value store: the template for adapter authors.
 *
 * The store is a plain `Map<string, KvRecord>`. Keys are member paths (`/`,
 * `/notes`, `/notes/a.txt`); values are whole records. Swap the Map for
 * Redis, LevelDB, a SQLite table or DynamoDB and the shape stays the same:
 * get, set and delete one key, and scan the keys under a prefix.
 *
 * The contract is `StorageAdapter` in `@davsync/core` (`src/adapter.ts`).
 * Each method below repeats the obligations it meets. Three rules make the
 * adapter pass the conformance kit (`test/conformance.test.ts`):
 *
 * 1. **Records are never changed in place.** A change builds a new record and
 *    stores it with one `set`. A reader that already holds a record keeps a
 *    consistent version, so writes and property patches are atomic.
 * 2. **Check, then apply, in one step.** Each mutation checks its
 *    preconditions and applies its `set`s and `delete`s with no `await` in
 *    between, so concurrent calls cannot interleave. A store with real I/O
 *    gets the same from a transaction or a compare-and-set.
 * 3. **ETags are versions from a counter that only grows**, so a tag never
 *    repeats at a path. A store that persists its records persists the
 *    counter too. Here it is derived from the records on start-up.
 *
 * The adapter knows nothing about sync. The engine records every change made
 * through it in its change journal. Changes made to the Map behind the
 * engine's back are picked up by `engine.refresh()`.
 */
import {
  DavError,
  ROOT,
  conflict,
  forbidden,
  isWithin,
  notFound,
  parentOf,
  preconditionFailed,
  rebase,
  type ByteRange,
  type ByteStream,
  type CopyOptions,
  type DeadPropertyStore,
  type Checksums,
  type Entry,
  type MoveOptions,
  type StorageAdapter,
  type TransferResult,
  type WriteOptions,
} from '@davsync/core';

/** What is stored under one key: a member. Never mutated once stored. */
export type KvRecord = FileRecord | CollectionRecord;

interface RecordBase {
  /** The counter value when this record was written; the ETag is `v<version>`. */
  readonly version: number;
  /**
   * The member's file ID: the counter value when the member came into being.
   * Kept by overwrites, `setModified` and moves; a copy draws a new one.
   */
  readonly id: number;
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly modified: number;
  /** Dead properties by Clark name (`{namespace}local`), values opaque. */
  readonly props: ReadonlyMap<string, string>;
}

export interface FileRecord extends RecordBase {
  readonly kind: 'file';
  readonly content: Buffer;
  readonly contentType?: string;
  /** The content's digests, when the write computed them (`WriteOptions.checksums`). */
  readonly checksums?: Checksums;
}

export interface CollectionRecord extends RecordBase {
  readonly kind: 'collection';
}

const NO_PROPS: ReadonlyMap<string, string> = new Map();

/** Reads hand out content in pieces of this size, so a large member streams. */
const PIECE = 64 * 1024;

/**
 * A `StorageAdapter` over a key–value map.
 *
 * @example
 * const adapter = new KvAdapter();                  // or new KvAdapter(mapYouKeep)
 * app.use('/dav', davsync({ adapter }));
 */
export class KvAdapter implements StorageAdapter {
  readonly #kv: Map<string, KvRecord>;
  #version = 0;

  /** Serves `kv`, which may already hold records (from an earlier run, say). */
  constructor(kv: Map<string, KvRecord> = new Map()) {
    this.#kv = kv;
    // Carry on after the highest version stored, so no ETag is ever reissued.
    for (const record of kv.values()) this.#version = Math.max(this.#version, record.version);
    // Obligation: the root collection always exists.
    if (!kv.has(ROOT)) kv.set(ROOT, this.#newCollection(Date.now()));
  }

  // Paths arrive as member paths: absolute, decoded, no trailing slash, no
  // `.` or `..`. The engine and the middleware normalise them before any
  // adapter call, so a path is also a key as it stands.

  /** Obligation: the member's entry, or `undefined`. Absence is never an error. */
  async stat(path: string): Promise<Entry | undefined> {
    const record = this.#kv.get(path);
    return record === undefined ? undefined : toEntry(path, record);
  }

  /**
   * Obligations: the direct members of a collection, each once, in any order;
   * `not-found` for a missing path, `conflict` for a file.
   */
  async *list(path: string): AsyncIterable<Entry> {
    if (this.#existing(path).kind !== 'collection') throw conflict(path, 'not a collection');
    // A Map has no ordered prefix scan, so this walks every key. A store with
    // ordered keys seeks to `${path}/` and reads the range instead. The
    // entries are collected before the first one is yielded, so changes made
    // while the caller iterates do not show up half-way through.
    const members: Entry[] = [];
    for (const [key, record] of this.#kv) if (key !== ROOT && parentOf(key) === path) members.push(toEntry(key, record));
    yield* members;
  }

  /**
   * Obligations: the content, or the inclusive byte range of it (the caller
   * has checked the range against the size); `not-found` for a missing path,
   * `conflict` for a collection. A reader that has started keeps the version
   * it started with, whatever is written meanwhile.
   */
  async read(path: string, range?: ByteRange): Promise<ByteStream> {
    const record = this.#existing(path);
    if (record.kind !== 'file') throw conflict(path, 'a collection has no content');
    const end = range?.end === undefined ? record.content.length : range.end + 1;
    return pieces(record.content.subarray(range?.start ?? 0, end));
  }

  /**
   * Obligations: create or replace a file with the streamed body and return
   * its new entry. Readers never see a partial write; a body that fails
   * leaves the old content (and ETag) in place. `conflict` when the parent
   * is missing or is a file, `method-not-allowed` for a collection,
   * `precondition-failed` when `expectedEtag` does not match (`null`: the
   * member must not exist). Dead properties survive a content change (RFC
   * 4918 §9.7.1).
   */
  async write(path: string, body: ByteStream, options: WriteOptions = {}): Promise<Entry> {
    // Checked before reading the body, so a doomed upload is refused at once…
    this.#checkWritable(path, options.expectedEtag);
    // A Map keeps values in memory, so the body is collected into one buffer.
    // A store with a disk or network behind it streams the body to a staging
    // place (a temp file, a multipart upload) instead. Either way, nothing is
    // published before the body has ended: if it throws, we never get past
    // this line and the old record stays.
    const content = await collect(body);
    // Obligation: the body has ended and nothing is published yet — await
    // the checksum hook here; if it throws (a client's announced checksum
    // does not match), the write stores nothing.
    const checksums = await options.checksums?.();
    // …and checked again, because the store may have changed while the body
    // streamed. From here to the `set` there is no `await`.
    const current = this.#checkWritable(path, options.expectedEtag);
    const now = Date.now();
    const version = this.#nextVersion();
    const record: FileRecord = {
      kind: 'file',
      version,
      id: current?.id ?? version,
      content,
      contentType: options.contentType,
      checksums,
      created: current?.created ?? now,
      // Obligation (with setModified): a client's time, when it gives one.
      modified: options.modified?.getTime() ?? now,
      props: current?.props ?? NO_PROPS,
    };
    this.#kv.set(path, record);
    return toEntry(path, record);
  }

  /**
   * Obligations: set a member's modification time and nothing else; a new
   * version, so a file's ETag changes with it. `not-found` when absent.
   */
  async setModified(path: string, modified: Date): Promise<Entry> {
    const record = { ...this.#existing(path), version: this.#nextVersion(), modified: modified.getTime() };
    this.#kv.set(path, record);
    return toEntry(path, record);
  }

  /**
   * Obligations: remove a member; a collection goes with everything below it,
   * dead properties included. `not-found` for a missing path, `forbidden`
   * for the root.
   */
  async remove(path: string): Promise<void> {
    if (path === ROOT) throw forbidden('the root collection cannot be removed', path);
    this.#existing(path);
    for (const key of this.#keysWithin(path)) this.#kv.delete(key);
  }

  /**
   * Obligations: create an empty collection. `method-not-allowed` when
   * anything exists at the path (the root too), `conflict` when the parent
   * is missing or is a file.
   */
  async mkcol(path: string): Promise<Entry> {
    if (this.#kv.has(path)) throw new DavError('method-not-allowed', `a member already exists at ${path}`, path);
    this.#requireParent(path);
    const record = this.#newCollection(Date.now());
    this.#kv.set(path, record);
    return toEntry(path, record);
  }

  /**
   * Obligations: copy a member with its dead properties; a collection with
   * all its members unless `depth` is 0. Overwrite by default, replacing the
   * destination whole; `{ created }` says whether it was new. Errors: see
   * `#checkTransfer` below.
   */
  async copy(from: string, to: string, options: CopyOptions = {}): Promise<TransferResult> {
    const created = this.#checkTransfer(from, to, options.overwrite ?? true);
    const sources = options.depth === 0 ? [from] : this.#keysWithin(from);
    this.#clear(to);
    const now = Date.now();
    for (const key of sources) {
      const record = this.#kv.get(key) as KvRecord;
      // A copy is a new member: its own version (so its own ETag), the same
      // content and dead properties. Records are immutable, so sharing the
      // content buffer and the property map is safe.
      const version = this.#nextVersion();
      this.#kv.set(rebase(key, from, to), { ...record, version, id: version, created: now, modified: now });
    }
    return { created };
  }

  /**
   * Obligations: move a member with its members and dead properties;
   * overwrite and errors as for `copy`. The records keep their versions: a
   * move changes where a member is, not what it holds.
   */
  async move(from: string, to: string, options: MoveOptions = {}): Promise<TransferResult> {
    const created = this.#checkTransfer(from, to, options.overwrite ?? true);
    const moving = this.#keysWithin(from).map((key) => [key, this.#kv.get(key) as KvRecord] as const);
    this.#clear(to);
    for (const [key] of moving) this.#kv.delete(key);
    for (const [key, record] of moving) this.#kv.set(rebase(key, from, to), record);
    return { created };
  }

  /**
   * Optional capability: dead properties (PROPPATCH). Leave it out and the
   * middleware answers PROPPATCH with 403; the kit then skips its property
   * tests by itself. Obligations: `get` returns all of an existing member's
   * properties; `patch` applies every set and removal or none (`not-found`
   * for a missing member; removing an absent property is fine).
   */
  readonly properties: DeadPropertyStore = {
    get: async (path) => Object.fromEntries(this.#existing(path).props),
    patch: async (path, set, remove) => {
      const record = this.#existing(path);
      const props = new Map(record.props);
      for (const name of remove) props.delete(name);
      for (const [name, value] of Object.entries(set)) props.set(name, value);
      // One `set` publishes the whole patch. The version stays: a file's
      // ETag is about its content, and the engine reports the member as
      // changed to sync clients either way.
      this.#kv.set(path, { ...record, props });
    },
  };

  // ---- helpers -----------------------------------------------------------

  #nextVersion(): number {
    return ++this.#version;
  }

  #newCollection(now: number): CollectionRecord {
    const version = this.#nextVersion();
    return { kind: 'collection', version, id: version, created: now, modified: now, props: NO_PROPS };
  }

  #existing(path: string): KvRecord {
    const record = this.#kv.get(path);
    if (record === undefined) throw notFound(path);
    return record;
  }

  /** The key itself and every key below it (another prefix scan). */
  #keysWithin(path: string): string[] {
    return [...this.#kv.keys()].filter((key) => isWithin(key, path));
  }

  /** Deletes the member at `path` and everything below it, if there is one. */
  #clear(path: string): void {
    for (const key of this.#keysWithin(path)) this.#kv.delete(key);
  }

  /** `conflict` unless the parent of `path` is an existing collection. */
  #requireParent(path: string): void {
    const parent = this.#kv.get(parentOf(path) ?? ROOT);
    if (parent?.kind !== 'collection') throw conflict(path, 'the parent collection does not exist');
  }

  /** The preconditions of `write`; returns the file being replaced, if any. */
  #checkWritable(path: string, expectedEtag: string | null | undefined): FileRecord | undefined {
    const current = this.#kv.get(path);
    // The root is a collection, so this also refuses writing onto the root.
    if (current?.kind === 'collection') throw new DavError('method-not-allowed', `cannot write content to a collection: ${path}`, path);
    this.#requireParent(path);
    if (expectedEtag !== undefined && (current === undefined ? null : etagOf(current)) !== expectedEtag) {
      throw preconditionFailed(expectedEtag === null ? 'the member exists' : 'the ETag does not match', path);
    }
    return current;
  }

  /**
   * The preconditions of `copy` and `move`, in the contract's order; returns
   * whether the destination is new. `not-found` for a missing source;
   * `forbidden` when the destination is the source, lies inside it, or
   * contains it (replacing it would delete the source on the way; this also
   * covers the root as either end); `conflict` for a missing destination
   * parent; `precondition-failed` when the destination exists and overwrite
   * is off.
   */
  #checkTransfer(from: string, to: string, overwrite: boolean): boolean {
    this.#existing(from);
    if (isWithin(to, from) || isWithin(from, to)) throw forbidden('source and destination overlap', to);
    this.#requireParent(to);
    const exists = this.#kv.has(to);
    if (exists && !overwrite) throw preconditionFailed('the destination exists and overwrite is off', to);
    return !exists;
  }
}

/**
 * Obligation: a strong ETag, without quotes, that changes whenever the
 * content changes and stays put while it does not (also across restarts).
 */
function etagOf(record: KvRecord): string {
  return `v${record.version}`;
}

function toEntry(path: string, record: KvRecord): Entry {
  const base = { path, etag: etagOf(record), fileId: String(record.id), created: new Date(record.created), modified: new Date(record.modified) };
  if (record.kind === 'collection') return { ...base, collection: true };
  return {
    ...base,
    collection: false,
    size: record.content.length,
    ...(record.contentType === undefined ? {} : { contentType: record.contentType }),
    ...(record.checksums === undefined ? {} : { checksums: record.checksums }),
  };
}

/** Drains a body; throws (and so stores nothing) if the body fails or is cut off. */
async function collect(body: ByteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Copied, because a producer may reuse its buffers after handing them over.
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Copies of `bytes` in pieces, so a consumer can never change the stored content. */
async function* pieces(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += PIECE) yield Buffer.from(bytes.subarray(at, at + PIECE));
}
