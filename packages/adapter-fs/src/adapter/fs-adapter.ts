/**
 * The storage adapter over a real directory: members are files and
 * directories under a root, dead properties live in a `PropertyTable`, and
 * everything the adapter does to the tree is atomic and durable before it
 * returns.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CHECKSUM_ALGORITHMS,
  ROOT,
  abortableBody,
  conflict,
  forbidden,
  methodNotAllowed,
  normalizePath,
  notFound,
  type ByteRange,
  type ByteStream,
  type ChecksumAlgorithm,
  type CopyOptions,
  type DeadPropertyStore,
  type Entry,
  type MoveOptions,
  type QuotaFigures,
  type ReadOptions,
  type StorageAdapter,
  type TransferResult,
  type WriteOptions,
} from '@davsync/core';
import { fsyncDirectory, stageBody } from '../writes/atomic-write';
import { CommitLock } from '../writes/commit-lock';
import { DirectorySyncer } from '../writes/directory-syncer';
import { setMtime } from '../writes/set-mtime';
import { ChecksumBackfill } from '../checksums/checksum-backfill';
import { hashOutOfBand } from '../checksums/out-of-band';
import { CHECKSUMS_PROPERTY, checksumsFor, encodeChecksums, retagChecksums } from '../checksums/stored-checksums';
import { contentTypeFor } from '../properties/content-type';
import { CONTENT_TYPE_PROPERTY, FsDeadProperties } from '../properties/dead-properties';
import type { PropertyTable } from '../properties/property-table';
import type { ListingThread } from '../listing/listing-thread';
import { factsOf, type MemberFacts } from '../listing/member-facts';
import { mapFsErrors } from '../paths/fs-errors';
import { SAFE_READ_FLAGS } from '../paths/safe-path';
import { openContext, type Context } from './context';
import { collectionQuota } from './filesystem-quota';
import { NO_TYPES, entryOf, fileEntry } from './entries';
import { PLACE_ERRORS, missingParent, writable } from './placement';
import type { FsAdapterParts } from './adapter-parts';
import { listMemberBatches } from './list-members';
import { copyInStore, moveInStore } from './transfers';
import { FsUploadStore } from '../uploads/fs-upload-store';
import { fileIdOf, MemoryFileIdTable, type FileIdTable } from '../properties/file-ids';

export interface FsAdapterOptions {
  /** The directory to serve; it must exist. */
  readonly root: string;
  /**
   * Where davsync keeps its state: `tmp/` for staged writes and copies,
   * `trash/` for deletes in progress, and the state database. Default
   * `<root>/.davsync`. It must be on the root's filesystem (writes end in a
   * rename from it); inside the root it must be a direct member, which is
   * then invisible in listings and `forbidden` when addressed.
   */
  readonly stateDir?: string;
  /** Where dead properties are kept (and the media types PUTs name). */
  readonly properties: PropertyTable;
  /**
   * Where the file IDs of overwritten files are continued (`file-ids.ts`;
   * `openFsStore` passes a `SqliteFileIdTable`). Default: in memory, so an
   * overwritten file's ID lasts as long as the process.
   */
  readonly fileIds?: FileIdTable;
  /**
   * A thread that reads large folders while the caller writes the listing
   * out (`ListingThread.start()`; `openFsStore` starts one). The caller
   * closes it. Without one, or once it has stopped, folders are read on
   * the calling thread.
   */
  readonly listing?: ListingThread;
  /**
   * Hash files without checksums (written by other programs) in the
   * background, once a listing asks for checksums or `noteChanged` names
   * them. Default true; off in `openFsStore` with `checksums: false`.
   */
  readonly hashInBackground?: boolean;
  /** The digests computed of files hashed in the background and of copies. Default: all (`CHECKSUM_ALGORITHMS`). */
  readonly checksumAlgorithms?: readonly ChecksumAlgorithm[];
  /** Where a failed background hash is reported. Default: console.warn. */
  readonly onWarning?: (message: string) => void;
}

/**
 * A `StorageAdapter` over a directory tree.
 *
 * - **Paths** are guarded by `SafePaths`: symlinks are never followed (they
 *   are invisible in listings and `forbidden` when addressed), the state
 *   directory is out of reach, names and paths the OS cannot hold are
 *   `bad-request`, and names are kept byte-exact (no Unicode or case folding).
 * - **Writes** stream to a temporary file that is fsynced and renamed into
 *   place; the directory is fsynced too. A failed body leaves the old content;
 *   a replaced file's permission bits carry over to the new one.
 *   Deletes rename the member into the state directory's trash first, so
 *   nobody sees a half-deleted collection; COPY builds the copy there and
 *   renames it into place.
 * - **ETags** come from `lstat` (see `etag.ts`): files from inode, size and
 *   mtime in ns; collections from inode and birth time.
 * - **Modification times** a client gives (`WriteOptions.modified`,
 *   `setModified`) are the files' real mtimes, set with `utimes` (before
 *   the rename, for a write): other programs see them, and a file's ETag
 *   changes with them. Files changed by other programs keep their own.
 * - **File IDs** derive from inode and birth time, continued across
 *   davsync's overwrites by a small table (see `file-ids.ts`).
 * - **Media types**: a PUT's `contentType` is kept in the property table as an
 *   internal property when it differs from the one the file's extension
 *   implies (`contentTypeFor`); files without one get the extension's type.
 * - **Checksums** (`Entry.checksums`) live in the property table, tagged
 *   with the file's identity (`stored-checksums.ts`); files written by other
 *   programs are hashed in the background (`checksum-backfill.ts`).
 * - **Concurrency**: each mutation's check-then-act step runs under one
 *   commit lock, so `expectedEtag` and `overwrite: false` are exact among
 *   callers of this adapter. One adapter owns a root and state directory at a
 *   time; changes by other programs are picked up by `engine.refresh()`.
 * - **Errors**: Node errors become `DavError`s (`EACCES`/`EPERM` → `forbidden`,
 *   `ENOSPC`/`EDQUOT` → `insufficient-storage`, …); unexpected ones are
 *   rethrown for the host to log.
 *
 * The adapter touches the disk on first use; call {@link ready} to fail fast
 * on a bad configuration.
 *
 * @example
 * const adapter = new FsAdapter({ root: '/srv/dav', properties: table });
 * await adapter.ready();
 * const engine = new SyncEngine({ adapter });
 */
export class FsAdapter implements StorageAdapter {
  /** The root directory, as given (resolved to an absolute path). */
  readonly root: string;
  /** The state directory, as given or defaulted (absolute). */
  readonly stateDir: string;
  /** Dead properties of existing members; the adapter's internal ones are hidden. */
  readonly properties: DeadPropertyStore;
  /** Resumable uploads, in the state directory's `uploads/` (`uploads/fs-upload-store.ts`). */
  readonly uploads: FsUploadStore;

  readonly #table: PropertyTable;
  readonly #fileIds: FileIdTable;
  readonly #listing: ListingThread | undefined;
  readonly #lock = new CommitLock();
  readonly #directories = new DirectorySyncer();
  /** Files waiting to be hashed; absent when background hashing is off. */
  readonly #backfill: ChecksumBackfill | undefined = undefined;
  readonly #algorithms: readonly ChecksumAlgorithm[];
  #context: Promise<Context> | undefined;
  /** What the modules doing the adapter's work (`list-members.ts`, `transfers.ts`) need of it. */
  readonly #parts: FsAdapterParts;

  constructor(options: FsAdapterOptions) {
    if (typeof options?.root !== 'string' || options.root === '') throw new TypeError('davsync: FsAdapter needs a root directory');
    if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) {
      throw new TypeError('davsync: FsAdapter stateDir must be a non-empty string');
    }
    if (typeof options.properties?.get !== 'function') throw new TypeError('davsync: FsAdapter needs a property table');
    this.root = resolve(options.root);
    this.stateDir = resolve(options.stateDir ?? join(this.root, '.davsync'));
    this.#table = options.properties;
    this.uploads = new FsUploadStore(join(this.stateDir, 'uploads'));
    this.#fileIds = options.fileIds ?? new MemoryFileIdTable();
    this.#listing = options.listing;
    this.#algorithms = options.checksumAlgorithms ?? CHECKSUM_ALGORITHMS;
    this.properties = new FsDeadProperties(this.#table, (path) => this.#existing(path), this.#lock);
    const warn = (p: string, err: unknown) => (options.onWarning ?? console.warn)(`davsync: cannot hash ${p}: ${String(err)}`);
    const hash = async (path: string) => hashOutOfBand({ guard: (await this.#ctx()).guard, table: this.#table, lock: this.#lock, algorithms: this.#algorithms }, path);
    if (options.hashInBackground !== false) this.#backfill = new ChecksumBackfill(hash, warn);
    this.#parts = {
      ctx: () => this.#ctx(),
      lock: this.#lock,
      table: this.#table,
      fileIds: this.#fileIds,
      listing: this.#listing,
      backfill: this.#backfill,
      algorithms: this.#algorithms,
      entry: (path, facts) => this.#entry(path, facts),
    };
  }

  /** Something at `path` changed behind the adapter's back: a file there is hashed in the background. */
  noteChanged(path: string): void {
    this.#backfill?.add(normalizePath(path));
  }

  /** Resolves once no file is waiting to be hashed (for tests and tools; requests never wait). */
  async hashed(): Promise<void> {
    await this.#backfill?.idle();
  }

  /** Stops background hashing (after the file in progress). `openFsStore`'s close calls it. */
  async close(): Promise<void> {
    await this.#backfill?.close();
  }

  /**
   * Checks the configuration and prepares the state directory (emptying what
   * a crash left in it). Every operation does this on first use; calling it
   * at start-up reports a bad root or state directory early.
   */
  async ready(): Promise<void> {
    await this.#ctx();
  }

  /** The filesystem's figures for a collection (`filesystem-quota.ts`); `undefined` for a file or a missing path. */
  async quota(path: string): Promise<QuotaFigures | undefined> {
    return collectionQuota((await this.#ctx()).guard, path);
  }

  async stat(path: string): Promise<Entry | undefined> {
    const { guard } = await this.#ctx();
    const found = await guard.lookup(path);
    return found.kind === 'absent' ? undefined : this.#entry(found.path, factsOf(found.kind, found.stats));
  }

  async *list(path: string, options: ReadOptions = {}): AsyncIterable<Entry> {
    for await (const batch of this.listBatches(path, options)) yield* batch;
  }

  async *listBatches(path: string, options: ReadOptions = {}): AsyncIterable<readonly Entry[]> {
    yield* listMemberBatches(this.#parts, path, options);
  }

  async read(path: string, range?: ByteRange, options: ReadOptions = {}): Promise<ByteStream> {
    const { guard } = await this.#ctx();
    const found = await guard.lookup(path);
    const p = found.path;
    if (found.kind === 'absent') throw notFound(p);
    if (found.kind === 'collection') throw conflict(p, 'a collection has no content');
    const handle = await mapFsErrors(p, () => fsp.open(found.real, SAFE_READ_FLAGS), { ENOENT: () => notFound(p) });
    try {
      // The file may have been replaced since the lookup; what counts is what was opened.
      if (!(await handle.stat()).isFile()) throw forbidden('davsync: not a regular file', p);
    } catch (err) {
      await handle.close();
      throw err;
    }
    // An open descriptor keeps its inode: a reader finishes with the version it
    // opened even if a write renames a new one into place meanwhile.
    return abortableBody(handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: 64 * 1024 }), options.signal);
  }

  async write(path: string, body: ByteStream, options: WriteOptions = {}): Promise<Entry> {
    const { guard, state } = await this.#ctx();
    // Checked before the body is read, so a doomed upload is refused at once,
    // and again under the commit lock, because the tree may change while it streams.
    const p = writable(await guard.lookup(path), options.expectedEtag).path;
    const staged = await mapFsErrors(p, () => stageBody(body, state.tmp));
    try {
      // The body has ended and nothing is visible yet: a checksum that does
      // not match throws here, and the staged file is discarded below.
      const checksums = await options.checksums?.();
      const { entry, real } = await this.#lock.run(async () => {
        const target = writable(await guard.lookup(p), options.expectedEtag);
        await mapFsErrors(p, async () => {
          if (target.kind === 'file') await staged.succeed(target.stats);
          // The client's time is in place before anyone can see the file.
          if (options.modified !== undefined) await staged.stamp(options.modified);
          await staged.rename(target.real);
        }, PLACE_ERRORS(p));
        // The new inode continues the ID of the file it replaces.
        const fileId = target.kind === 'file' ? fileIdOf(factsOf('file', target.stats), await this.#fileIds.get(p)) : undefined;
        const facts = factsOf('file', staged.stats);
        // Unsynced: the journal entry of this write, committed before it is acknowledged, syncs them.
        if (fileId !== undefined) await this.#fileIds.bind(p, fileId, facts.identity, { unsynced: true });
        // A new member starts without dead properties, even if a member removed
        // behind the adapter's back left some in the table.
        if (target.kind === 'absent') await this.#table.removeTree(p);
        const contentType = await this.#storeContentType(p, options.contentType, target.kind === 'absent');
        // Tagged with this version's identity; without, an old value names the old version: stale.
        if (checksums !== undefined) await this.#table.patch(p, { [CHECKSUMS_PROPERTY]: encodeChecksums(facts.etag, checksums) }, [], { unsynced: true });
        return { entry: fileEntry(p, facts, contentType, fileId ?? facts.identity, checksums), real: target.real };
      });
      // The rename is durable once its folder is fsynced. Outside the lock,
      // and shared by concurrent writes into the same folder: the lock only
      // has to order the checks and renames, not wait for the disk.
      await mapFsErrors(p, () => this.#directories.sync(dirname(real)));
      return entry;
    } finally {
      await staged.discard();
    }
  }

  async setModified(path: string, modified: Date): Promise<Entry> {
    const { guard } = await this.#ctx();
    const p = normalizePath(path);
    const { kind, stats } = await this.#lock.run(async () => {
      const found = await guard.lookup(p);
      if (found.kind === 'absent') throw notFound(p);
      const { before, after } = await mapFsErrors(p, () => setMtime(found.real, found.stats.atime, modified), { ENOENT: () => notFound(p) });
      // Only the time changed: the content's checksums still apply, under the new identity.
      if (found.kind === 'file') await retagChecksums(this.#table, p, before, after);
      return { kind: found.kind, stats: after };
    });
    return this.#entry(p, factsOf(kind, stats));
  }

  async remove(path: string): Promise<void> {
    const { guard, state } = await this.#ctx();
    const p = normalizePath(path);
    if (p === ROOT) throw forbidden('davsync: the root collection cannot be removed', p);
    const done = await this.#lock.run(async () => {
      const found = await guard.lookup(p);
      if (found.kind === 'absent') throw notFound(p);
      // A file goes in one unlink; a collection in one rename to the trash
      // (which makes itself durable), so nobody sees it half-deleted.
      const gone = async (): Promise<string | undefined> => {
        if (found.kind === 'collection') return state.moveToTrash(found.real);
        await fsp.unlink(found.real);
        return undefined;
      };
      const trashed = await mapFsErrors(p, gone, { ENOENT: () => notFound(p) });
      await this.#table.removeTree(p);
      await this.#fileIds.removeTree(p);
      return { trashed, parent: dirname(found.real) };
    });
    if (done.trashed === undefined) await fsyncDirectory(done.parent);
    else await state.purge(done.trashed);
  }

  async mkcol(path: string): Promise<Entry> {
    const { guard } = await this.#ctx();
    const made = await this.#lock.run(async () => {
      const found = await guard.lookup(path);
      const p = found.path;
      if (found.kind !== 'absent') throw methodNotAllowed(p, p === ROOT ? 'the root exists' : 'a member already exists here');
      if (found.parent !== 'collection') throw missingParent(found);
      await mapFsErrors(p, () => fsp.mkdir(found.real), {
        EEXIST: () => methodNotAllowed(p, 'a member already exists here'),
        ...PLACE_ERRORS(p),
      });
      await this.#table.removeTree(p);
      return { p, real: found.real, stats: await fsp.lstat(found.real, { bigint: true }) };
    });
    await fsyncDirectory(dirname(made.real));
    return this.#entry(made.p, factsOf('collection', made.stats));
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<TransferResult> {
    return copyInStore(this.#parts, from, to, options);
  }

  async move(from: string, to: string, options: MoveOptions = {}): Promise<TransferResult> {
    return moveInStore(this.#parts, from, to, options);
  }

  // ---- internals -----------------------------------------------------------

  #ctx(): Promise<Context> {
    if (this.#context === undefined) {
      const opening = openContext(this.root, this.stateDir);
      this.#context = opening;
      // A failed start is not remembered: the next call tries again (the root may appear).
      opening.catch(() => {
        if (this.#context === opening) this.#context = undefined;
      });
    }
    return this.#context;
  }

  /** The normalised path of an existing member, or `not-found`. */
  async #existing(path: string): Promise<string> {
    const found = await (await this.#ctx()).guard.lookup(path);
    if (found.kind === 'absent') throw notFound(found.path);
    return found.path;
  }

  async #entry(path: string, facts: MemberFacts): Promise<Entry> {
    const fileId = fileIdOf(facts, await this.#fileIds.get(path));
    if (facts.kind === 'collection') return entryOf(path, facts, NO_TYPES, fileId);
    const stored = await this.#table.get(path);
    return fileEntry(path, facts, stored[CONTENT_TYPE_PROPERTY] ?? contentTypeFor(path), fileId, checksumsFor(stored[CHECKSUMS_PROPERTY], facts.etag));
  }

  /**
   * Keeps a PUT's media type when the extension does not already imply it,
   * and forgets a stored one otherwise. Returns the type the file now has.
   */
  async #storeContentType(path: string, contentType: string | undefined, fresh: boolean): Promise<string> {
    const derived = contentTypeFor(path);
    if (contentType !== undefined && contentType !== derived) await this.#table.patch(path, { [CONTENT_TYPE_PROPERTY]: contentType }, [], { unsynced: true });
    // Only when one is stored: the common overwrite then costs a read, not a write transaction.
    else if (!fresh && (await this.#table.get(path))[CONTENT_TYPE_PROPERTY] !== undefined) await this.#table.patch(path, {}, [CONTENT_TYPE_PROPERTY], { unsynced: true });
    return contentType ?? derived;
  }
}

