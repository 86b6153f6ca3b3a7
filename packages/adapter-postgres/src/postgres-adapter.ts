/**
 * The PostgreSQL storage adapter: members, bodies, dead properties and the
 * change journal in one database, shared by any number of davsync
 * instances. It is *self-journaling* (see `StorageAdapter.recordsChangesIn`):
 * every mutation runs in one transaction that changes the tree and records
 * the journal entries core's `journalChangesOf` derives for it (reading the
 * journal on the same transaction), so a failed mutation records nothing and
 * a committed one is in the journal on every instance at once.
 *
 * Concurrency across instances: the engine's path lock only covers its own
 * process, so each mutation first takes the store-wide lock on the `clock`
 * row, then checks its preconditions, changes the tree and journals, and
 * commits. Mutations are thereby serialized at their commit point and every
 * check sees all earlier mutations of every instance; this is also what
 * hands out revisions in commit order. What happens before the lock (a body
 * streaming into new chunks) runs in parallel. Readers take no locks.
 */
import { PostgresUploadStore } from './uploads/postgres-upload-store';
import type { Pool, PoolClient } from 'pg';
import {
  EntryTree,
  ROOT,
  abortableBody,
  checkOverwrite,
  checkTransferPaths,
  conflict,
  forbidden,
  journalChangesOf,
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
  type JournalChange,
  type MoveOptions,
  type ReadOptions,
  type StorageAdapter,
  type TransferResult,
  type TreeMutation,
  type QuotaFigures,
  type WriteOptions,
  checkQuotaBytes,
  quotaExceeded,
  quotaFigures,
  withinQuota,
} from '@davsync/core';
import { bodySql, dropUnreferenced, readBody, storeBody, type BodySql } from './bodies';
import { below, checksumValues, fileTag, memberSql, toEntry, type MemberRow, type MemberSql } from './members';
import { journalReader, PostgresJournal, recordChanges, type JournalSql } from './postgres-journal';
import { postgresDeadProperties } from './postgres-dead-properties';
import { quoteSchema } from './schema';
import { inTransaction, query, type Queryable } from './transaction';

/** Options of {@link PostgresAdapter}. */
export interface PostgresAdapterOptions {
  /** Connections to the database, with the schema migrated (`migrate`, or use `openPostgresStore`). */
  readonly pool: Pool;
  /** The PostgreSQL schema holding the tables. Default `davsync`. */
  readonly schema?: string;
  /** Largest body `write` accepts, in bytes. Default 1 GiB. */
  readonly maxBodyBytes?: number;
  /** Clock for tombstone ages (ms since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /** End the pool when the journal is closed (`engine.close()`). Default false. */
  readonly ownsPool?: boolean;
  /**
   * Bytes of file content the store may hold, across every instance (RFC
   * 4331 quota): a write or COPY that would pass it is refused with 507
   * `DAV:quota-not-exceeded` and stores nothing. Absent: no limit (then
   * `DAV:quota-available-bytes` is not reported; `DAV:quota-used-bytes` is).
   * Give every instance the same.
   */
  readonly quotaBytes?: number;
}

/** Members listed per query: a huge collection is listed in pages, never loaded whole. */
const LIST_PAGE = 1000;

/** Where a member lives (or would live): its parent row and its own row. */
interface Slot {
  readonly parent: MemberRow | undefined;
  readonly current: MemberRow | undefined;
}

/**
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL });
 * app.use(davsync({ engine: store.engine }));
 */
export class PostgresAdapter implements StorageAdapter {
  /** The journal this adapter's mutations record themselves in; give it to the engine as `journal`. */
  readonly journal: PostgresJournal;
  readonly properties: DeadPropertyStore;
  /** Resumable uploads, in the same database (`uploads/postgres-upload-store.ts`). */
  readonly uploads: PostgresUploadStore;
  readonly #pool: Pool;
  readonly #members: MemberSql;
  readonly #bodies: BodySql;
  readonly #journal: JournalSql;
  readonly #maxBodyBytes: number;
  readonly #quotaBytes: number | undefined;

  constructor(options: PostgresAdapterOptions) {
    const s = quoteSchema(options.schema ?? 'davsync');
    this.#pool = options.pool;
    this.#members = memberSql(s);
    this.#bodies = bodySql(s);
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 ** 3;
    this.#quotaBytes = checkQuotaBytes(options.quotaBytes, 'PostgresAdapter');
    this.journal = new PostgresJournal({
      pool: options.pool,
      schema: options.schema ?? 'davsync',
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.ownsPool === undefined ? {} : { ownsPool: options.ownsPool }),
    });
    this.#journal = this.journal.sql;
    this.uploads = new PostgresUploadStore({ pool: options.pool, schema: options.schema ?? 'davsync' });
    this.properties = postgresDeadProperties({
      pool: options.pool,
      members: this.#members,
      lock: (client) => this.#lock(client),
      journalOf: (client, mutation) => this.#journalOf(client, mutation),
    });
  }

  /** Self-journaling: see `StorageAdapter.recordsChangesIn`. */
  get recordsChangesIn(): PostgresJournal {
    return this.journal;
  }

  /**
   * The store's figures, the same for every collection (RFC 4331 §4 lets
   * them cover more than the collection): the running total the members
   * table's triggers keep, one row read, never a sum over the members.
   */
  async quota(path: string): Promise<QuotaFigures | undefined> {
    const [row] = await query<{ used_bytes: string; collection: boolean | null }>(this.#pool, 'reading the quota', {
      text: this.#members.usedBytes,
      values: [normalizePath(path)],
    });
    return row?.collection === true ? quotaFigures(Number(row.used_bytes), this.#quotaBytes) : undefined;
  }

  async stat(path: string): Promise<Entry | undefined> {
    const rows = await query<MemberRow>(this.#pool, 'reading a member', { text: this.#members.stat, values: [normalizePath(path)] });
    return rows[0] === undefined ? undefined : toEntry(rows[0]);
  }

  async *list(path: string, options: ReadOptions = {}): AsyncIterable<Entry> {
    const p = normalizePath(path);
    const self = await this.stat(p);
    if (self === undefined) throw notFound(p);
    if (!self.collection) throw conflict(p, 'not a collection');
    // Keyset pages: each is one index range, and a member added or removed
    // between pages neither repeats nor shifts the others.
    let after = '';
    for (;;) {
      options.signal?.throwIfAborted();
      const rows = await query<MemberRow>(this.#pool, 'listing a collection', {
        text: options.checksums === true ? this.#members.listPageWithChecksums : this.#members.listPage,
        values: [p, after, LIST_PAGE],
      });
      for (const row of rows) yield toEntry(row);
      if (rows.length < LIST_PAGE) return;
      after = (rows[rows.length - 1] as MemberRow).path;
    }
  }

  async read(path: string, range?: ByteRange, options: ReadOptions = {}): Promise<ByteStream> {
    // An aborted read destroys the chunk stream, which ends its snapshot and returns its connection.
    return abortableBody(await readBody(this.#pool, this.#bodies, normalizePath(path), range), options.signal);
  }

  async write(path: string, body: ByteStream, options: WriteOptions = {}): Promise<Entry> {
    const p = normalizePath(path);
    // Checked before the body is read, so a doomed upload is not stored at
    // all, and again under the lock, since anything may change meanwhile.
    const { current: before } = checkWritable(p, await this.#slot(this.#pool, p), options.expectedEtag);
    // Cut off an upload as soon as it cannot fit, rather than store it whole
    // and roll it back; the total is checked again at the commit point.
    const quota = this.#quotaBytes;
    const oldSize = Number(before?.size ?? 0);
    // A write no larger than what it replaces always fits: it cannot add to the total.
    const counted = quota === undefined ? body : withinQuota(body, Math.max(oldSize, quota - (await this.#usedBytes(this.#pool)) + oldSize), p, quota);
    return inTransaction(this.#pool, 'writing a member', async (client) => {
      // The body goes into new chunks before the lock: uploads to any
      // member, on any instance, stream in parallel.
      const stored = await storeBody(client, this.#bodies, counted, options.contentType, this.#maxBodyBytes);
      // The body has ended; a checksum that does not match throws here and
      // the transaction rolls back, chunks and all.
      const sums = checksumValues(await options.checksums?.());
      await this.#lock(client);
      const usedBefore = await this.#usedBytesIfQuota(client);
      const { current } = checkWritable(p, await this.#slot(client, p), options.expectedEtag);
      const type = options.contentType ?? null;
      const etag = fileTag(stored.etag, options.modified);
      const modified = options.modified ?? null;
      const rows =
        current === undefined
          ? await query<MemberRow>(client, 'writing a member', {
              text: this.#members.insertFile,
              values: [p, parentOf(p), etag, stored.size, type, stored.blob, stored.chunkSize, modified, ...sums],
            })
          : await query<MemberRow>(client, 'writing a member', {
              text: this.#members.updateFile,
              values: [p, etag, stored.size, type, stored.blob, stored.chunkSize, modified, ...sums],
            });
      await this.#checkQuota(client, p, usedBefore);
      if (current !== undefined) await dropUnreferenced(client, this.#bodies, [blobOf(current)]);
      const entry = toEntry(rows[0] as MemberRow);
      await this.#journalOf(client, { kind: 'changed', entry });
      return entry;
    });
  }

  async setModified(path: string, modified: Date): Promise<Entry> {
    const p = normalizePath(path);
    return inTransaction(this.#pool, 'setting a modification time', async (client) => {
      await this.#lock(client);
      const rows = await query<MemberRow>(client, 'setting a modification time', {
        text: this.#members.setModified,
        values: [p, modified, fileTag('', modified)],
      });
      if (rows[0] === undefined) throw notFound(p);
      const entry = toEntry(rows[0]);
      await this.#journalOf(client, { kind: 'changed', entry });
      return entry;
    });
  }

  async remove(path: string): Promise<void> {
    const p = normalizePath(path);
    if (p === ROOT) throw forbidden('the root collection cannot be removed', p);
    await inTransaction(this.#pool, 'removing a member', async (client) => {
      await this.#lock(client);
      const { current } = await this.#slot(client, p);
      if (current === undefined) throw notFound(p);
      await this.#removeSubtree(client, p);
      await this.#journalOf(client, { kind: 'removed', path: p, collection: current.collection });
    });
  }

  async mkcol(path: string): Promise<Entry> {
    const p = normalizePath(path);
    return inTransaction(this.#pool, 'creating a collection', async (client) => {
      await this.#lock(client);
      const { parent, current } = await this.#slot(client, p);
      if (current !== undefined) throw methodNotAllowed(p, 'a member already exists here');
      if (parent?.collection !== true) throw conflict(p, 'the parent collection does not exist');
      const rows = await query<MemberRow>(client, 'creating a collection', { text: this.#members.insertCollection, values: [p, parentOf(p)] });
      const entry = toEntry(rows[0] as MemberRow);
      await this.#journalOf(client, { kind: 'changed', entry });
      return entry;
    });
  }

  async copy(from: string, to: string, options: CopyOptions = {}): Promise<TransferResult> {
    const deep = (options.depth ?? 'infinity') === 'infinity';
    return this.#transfer('copy', from, to, options.overwrite ?? true, async (client, src, dst) => {
      const [lo, hi] = below(src);
      await query(client, 'copying', { text: this.#members.copySubtree, values: [src, lo, hi, deep, dst, parentOf(dst)] });
      return { kind: 'copied', destination: dst };
    });
  }

  async move(from: string, to: string, options: MoveOptions = {}): Promise<TransferResult> {
    return this.#transfer('move', from, to, options.overwrite ?? true, async (client, src, dst, source) => {
      const [lo, hi] = below(src);
      await query(client, 'moving', { text: this.#members.moveSubtree, values: [src, lo, hi, dst, parentOf(dst)] });
      return { kind: 'moved', source: src, collection: source.collection, destination: dst };
    });
  }

  // ---- internals -------------------------------------------------------------

  /**
   * COPY and MOVE: the checks in the order of the contract, then (under the
   * lock) the destination removed, `place` run, and the journal entries of
   * the mutation `place` describes, derived from the journal and from the
   * destination subtree as it now is (read in one query).
   */
  #transfer(
    kind: 'copy' | 'move',
    from: string,
    to: string,
    overwrite: boolean,
    place: (client: PoolClient, src: string, dst: string, source: MemberRow) => Promise<TreeMutation>,
  ): Promise<TransferResult> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    return inTransaction(this.#pool, kind === 'copy' ? 'copying' : 'moving', async (client) => {
      await this.#lock(client);
      const usedBefore = await this.#usedBytesIfQuota(client);
      const [source] = await query<MemberRow>(client, 'reading a member', { text: this.#members.stat, values: [src] });
      if (source === undefined) throw notFound(src);
      checkTransferPaths(src, dst);
      const { parent, current } = await this.#slot(client, dst);
      if (parent?.collection !== true) throw conflict(dst, 'the parent collection does not exist');
      checkOverwrite(dst, current !== undefined, overwrite);
      const replacedBlobs = current === undefined ? [] : await this.#removeSubtree(client, dst, false);
      const mutation = await place(client, src, dst, source);
      await this.#checkQuota(client, dst, usedBefore);
      await dropUnreferenced(client, this.#bodies, replacedBlobs);
      const [lo, hi] = below(dst);
      const placed = await query<{ path: string; collection: boolean; etag: string }>(client, 'reading a subtree', {
        text: this.#members.subtree,
        values: [dst, lo, hi],
      });
      await this.#journalOf(client, mutation, new EntryTree(placed.map((m) => ({ path: m.path, collection: m.collection, etag: m.etag }))));
      return { created: current === undefined };
    });
  }

  /** Bytes of file content held, as `db` sees them. */
  async #usedBytes(db: Queryable): Promise<number> {
    const [row] = await query<{ used_bytes: string }>(db, 'reading the quota', { text: this.#members.usedBytes, values: ['/'] });
    return Number(row?.used_bytes ?? 0);
  }

  /** The total under the lock, before a write or COPY changes it; 0 without a quota (nothing to compare). */
  async #usedBytesIfQuota(client: PoolClient): Promise<number> {
    return this.#quotaBytes === undefined ? 0 : this.#usedBytes(client);
  }

  /**
   * Under the store-wide lock, after the statements of a write or COPY (the
   * triggers have counted them): a change that added bytes and left the
   * total past the quota is rolled back, so nothing is stored. One that
   * shrank the total passes, even over a quota lowered since.
   */
  async #checkQuota(client: PoolClient, path: string, usedBefore: number): Promise<void> {
    if (this.#quotaBytes === undefined) return;
    const used = await this.#usedBytes(client);
    if (used > this.#quotaBytes && used > usedBefore) throw quotaExceeded(path, this.#quotaBytes);
  }

  /** Takes the store-wide lock every mutation holds from its checks to its commit. */
  async #lock(client: PoolClient): Promise<void> {
    await query(client, 'locking the store', { text: this.#members.lockClock });
  }

  /**
   * Records a mutation's journal entries in its transaction: those core's
   * rule derives, from the journal as this transaction sees it and from
   * `tree`, the subtree after the change (needed by copy and move only).
   */
  async #journalOf(client: PoolClient, mutation: TreeMutation, tree: EntryTree = new EntryTree()): Promise<void> {
    const changes: readonly JournalChange[] = await journalChangesOf(mutation, journalReader(client, this.#journal), tree);
    if (changes.length > 0) await recordChanges(client, this.#journal, changes, this.journal.now());
  }

  /** The rows of `path` and of its parent, from one snapshot. */
  async #slot(db: Queryable, path: string): Promise<Slot> {
    const parentPath = parentOf(path);
    const rows = await query<MemberRow>(db, 'reading a member', {
      text: this.#members.slot,
      values: [parentPath === undefined ? [path] : [path, parentPath]],
    });
    return { current: rows.find((r) => r.path === path), parent: rows.find((r) => r.path === parentPath) };
  }

  /** Deletes a subtree's rows (and, unless told not to, its unreferenced bodies); returns its blobs. */
  async #removeSubtree(client: PoolClient, path: string, dropBodies = true): Promise<number[]> {
    const [lo, hi] = below(path);
    const rows = await query<{ blob: string | null }>(client, 'removing members', { text: this.#members.removeSubtree, values: [path, lo, hi] });
    const blobs = rows.map((r) => blobOf(r)).filter((b): b is number => b !== null);
    if (dropBodies) await dropUnreferenced(client, this.#bodies, blobs);
    return blobs;
  }

}

/** The slot of a write, checked as the contract orders: root, parent, type, ETag. */
function checkWritable(path: string, slot: Slot, expectedEtag: string | null | undefined): Slot {
  if (path === ROOT) throw methodNotAllowed(path, 'the root is a collection');
  if (slot.parent?.collection !== true) throw conflict(path, 'the parent collection does not exist');
  if (slot.current?.collection === true) throw methodNotAllowed(path, 'cannot write content to a collection');
  if (expectedEtag !== undefined && (slot.current?.etag ?? null) !== expectedEtag) {
    throw preconditionFailed(expectedEtag === null ? 'the member exists' : 'the ETag does not match', path);
  }
  return slot;
}

function blobOf(row: { blob: string | null }): number | null {
  return row.blob === null ? null : Number(row.blob);
}
