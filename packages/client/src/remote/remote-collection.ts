/**
 * A remote WebDAV collection, as the sync client sees it: its change feed
 * and the file operations a pass needs. Every write is conditional — an
 * `If-Match` on the ETag the client last saw, or `If-None-Match: *` for a
 * new file — so a change someone made meanwhile is never overwritten: the
 * server answers 412 and the caller sees a `precondition` {@link RemoteError}.
 */
import { createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DAV } from '@davsync/protocol';
import { propfind } from './propfind';
import { RemoteBlocks } from './remote-blocks';
import { RemoteChangeStream } from './remote-change-stream';
import { ChangeFeed, type FeedCursor, type FeedItem, type FeedLimits } from './change-feed';
import { DigestingStream, digestFile } from '../local/file-digests';
import { reusedReads } from '../local/reused-reads';
import { davObjectType } from './dav-objects';
import { ENTRY_PROPS, comparableEtag, entryOf, type Checksums, type RemoteEntry } from './remote-entry';
import { RemoteError } from './remote-error';
import { RemoteHttp, unexpected, type Credentials } from './remote-http';
import { RemotePaths } from './remote-paths';

export interface RemoteCollectionOptions extends FeedLimits {
  /** The collection's URL (http or https, no credentials in it). */
  readonly url: string;
  readonly credentials?: Credentials;
}

/** An ETag precondition for a write: the version we last saw, or "must not exist yet". */
export type WriteCondition = { readonly ifMatch: string } | { readonly ifNoneMatch: '*' } | Record<string, never>;

/** What the server says of a resource it just stored. */
export interface Written {
  readonly etag?: string;
  readonly fileId?: string;
  /** An upload's: the SHA-1 of the bytes sent (as `OC-Checksum` announced them). */
  readonly sha1?: string;
}

export class RemoteCollection {
  readonly paths: RemotePaths;
  /** Block lists, ranges and partial writes: the delta transfer's requests (`remote-blocks.ts`). */
  readonly blocks: RemoteBlocks;
  private readonly http: RemoteHttp;
  private readonly feed: ChangeFeed;

  constructor(options: RemoteCollectionOptions) {
    this.paths = new RemotePaths(options.url);
    this.http = new RemoteHttp(options.credentials);
    this.feed = new ChangeFeed(this.http, this.paths, options);
    this.blocks = new RemoteBlocks(this.http, this.paths);
  }

  /** The collection's changes since `cursor` (everything without one); see `change-feed.ts`. */
  changes(cursor?: FeedCursor): AsyncGenerator<FeedItem> {
    return this.feed.changes(cursor);
  }

  /** The server's change stream on this collection, if it has one (see `remote-change-stream.ts`). */
  changeStream(): RemoteChangeStream {
    return new RemoteChangeStream(this.http, this.paths);
  }

  /** One member (PROPFIND Depth 0), or undefined when there is none. */
  async stat(path: string): Promise<RemoteEntry | undefined> {
    const answer = await propfind(this.http, this.paths.urlOf(path), '0', ENTRY_PROPS);
    if (answer === undefined) return undefined;
    const first = answer.responses.find((r) => r.kind === 'propstat');
    if (first === undefined) return undefined;
    const slash = this.paths.pathOf(first.hrefs[0] as string)?.slash ?? false;
    return entryOf(path, first, slash);
  }

  /**
   * Whether a collection has no members (PROPFIND Depth 1). A DELETE of a
   * collection takes everything in it, so the client asks first and deletes
   * only an empty one: a member someone added since the last listing is not
   * deleted unseen.
   */
  async isEmptyCollection(path: string): Promise<boolean> {
    const answer = await propfind(this.http, this.paths.urlOf(path, true), '1', [DAV.resourcetype]);
    if (answer === undefined) return true;
    return answer.responses.every((r) => this.paths.pathOf(r.hrefs[0] as string)?.path === path);
  }

  /**
   * GET into `file` (created or truncated, then fsynced): the caller gives a
   * temporary name and renames it into place, so a reader never sees half a
   * file. The bytes are hashed on the way (`digests`), so the caller can
   * check them against `oc:checksums` without reading the file again.
   */
  async download(path: string, file: string): Promise<{ etag?: string; size: number; digests: Required<Checksums>; modified?: number }> {
    const spec = { method: 'GET', url: this.paths.urlOf(path) };
    const res = await this.http.send(spec);
    if (res.status !== 200 || res.body === null) throw await unexpected(spec, res);
    const hashing = new DigestingStream();
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), hashing, createWriteStream(file));
    const handle = await open(file, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const etag = comparableEtag(res.headers.get('etag'));
    const modified = Date.parse(res.headers.get('last-modified') ?? '');
    return { ...(etag === undefined ? {} : { etag }), size: (await stat(file)).size, digests: hashing.digests(), ...(Number.isNaN(modified) ? {} : { modified }) };
  }

  /**
   * PUT `file`'s bytes at `path`, on the condition given. The answer's ETag
   * when it has one; else the one a PROPFIND gives right after (a server
   * need not send an ETag with a PUT's answer, RFC 7231 §4.3.4).
   *
   * Two ownCloud headers go along, ignored by servers that do not know
   * them: `OC-Checksum: SHA1:…`, so a server that checks it refuses (400)
   * bytes that are not the ones hashed — a file changed while it was sent
   * is never stored half old, half new — and `X-OC-Mtime`, so the server
   * keeps the file's own modification time rather than the upload's. A
   * vCard or iCalendar file goes with its media type (see `dav-objects.ts`).
   */
  async upload(path: string, file: string, condition: WriteCondition): Promise<Written> {
    const { sha1 } = await digestFile(file);
    const st = await stat(file);
    const type = davObjectType(path);
    const headers: Record<string, string> = {
      'content-length': String(st.size),
      'oc-checksum': `SHA1:${sha1}`,
      ...(type === undefined ? {} : { 'content-type': type }),
      ...conditionHeaders(condition),
    };
    // Unix seconds to the millisecond; a time before 1970 is not sent (servers refuse it).
    if (st.mtimeMs >= 0) headers['x-oc-mtime'] = (Math.floor(st.mtimeMs) / 1000).toFixed(3);
    // One reused buffer: the request takes a chunk before it asks for the next (streamed-request.ts).
    const spec = { method: 'PUT', url: this.paths.urlOf(path), headers, body: reusedReads(file) };
    const res = await this.http.send(spec);
    if (res.status !== 200 && res.status !== 201 && res.status !== 204) throw await unexpected(spec, res);
    await res.body?.cancel();
    const etag = comparableEtag(res.headers.get('etag'));
    const fileId = res.headers.get('oc-fileid') ?? undefined;
    if (etag !== undefined) return { etag, sha1, ...(fileId === undefined ? {} : { fileId }) };
    const entry = await this.stat(path);
    return { sha1, ...(entry?.etag === undefined ? {} : { etag: entry.etag }), ...(entry?.fileId === undefined ? {} : { fileId: entry.fileId }) };
  }

  /** DELETE, on the condition given; a member already gone is fine. */
  async remove(path: string, condition: WriteCondition, collection = false): Promise<void> {
    const spec = { method: 'DELETE', url: this.paths.urlOf(path, collection), headers: conditionHeaders(condition) };
    const res = await this.http.send(spec);
    await res.body?.cancel();
    if (res.status === 404 || (res.status >= 200 && res.status < 300)) return;
    throw await unexpected(spec, res);
  }

  /** MKCOL; a collection already there is fine (405, RFC 4918 §9.3.1). */
  async mkcol(path: string): Promise<Written> {
    const spec = { method: 'MKCOL', url: this.paths.urlOf(path, true) };
    const res = await this.http.send(spec);
    await res.body?.cancel();
    if (res.status === 201) {
      const etag = comparableEtag(res.headers.get('etag'));
      return etag === undefined ? {} : { etag };
    }
    if (res.status === 405) {
      const entry = await this.stat(path);
      if (entry?.kind === 'dir') return entry.etag === undefined ? {} : { etag: entry.etag };
    }
    throw await unexpected(spec, res);
  }

  /** MOVE without overwriting (`Overwrite: F`: a member at `to` is a 412), on the source's condition. */
  async move(from: string, to: string, condition: WriteCondition, collection = false): Promise<Written> {
    const headers = { destination: this.paths.urlOf(to, collection), overwrite: 'F', ...conditionHeaders(condition) };
    const spec = { method: 'MOVE', url: this.paths.urlOf(from, collection), headers };
    const res = await this.http.send(spec);
    await res.body?.cancel();
    if (res.status !== 201 && res.status !== 204) throw await unexpected(spec, res);
    const entry = await this.stat(to);
    return { ...(entry?.etag === undefined ? {} : { etag: entry.etag }), ...(entry?.fileId === undefined ? {} : { fileId: entry.fileId }) };
  }
}

function conditionHeaders(condition: WriteCondition): Record<string, string> {
  if ('ifMatch' in condition && typeof condition.ifMatch === 'string') return { 'if-match': condition.ifMatch };
  if ('ifNoneMatch' in condition) return { 'if-none-match': '*' };
  return {};
}

