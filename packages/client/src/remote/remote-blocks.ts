/**
 * The requests of a delta transfer (docs/transfer.md, "Block hashes"): a
 * file's block list (`ds:block-hashes`, davsync's property), a byte range
 * of one version (GET with `Range` and `If-Match`), and a range written
 * into one version (sabre/dav's PATCH, `X-Update-Range`, with `If-Match`).
 * A server without the property answers it 404 in the propstat: `list`
 * says so with `undefined`, and the caller moves the whole file instead.
 */
import { ENTRY_PROPS, comparableEtag, entryOf, type RemoteEntry } from './remote-entry';
import { propfind } from './propfind';
import { unexpected, type RemoteHttp } from './remote-http';
import type { RemotePaths } from './remote-paths';
import { CHUNK_HASHES, parseChunkList, type ChunkList } from './remote-chunks';

export const DAVSYNC_NS = 'https://davsync.dev/ns';
export const BLOCK_HASHES = `{${DAVSYNC_NS}}block-hashes`;
const BLOCK_SIZE_NAME = `{${DAVSYNC_NS}}block-size`;
const ALGORITHM_NAME = `{${DAVSYNC_NS}}algorithm`;
const HASHES_NAME = `{${DAVSYNC_NS}}hashes`;

/** The largest block size taken from a server: a block is held in memory while it is checked and sent. */
const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

/** One version of a file with its block list: `entry.etag` names the version the hashes are of. */
export interface BlockList {
  readonly entry: RemoteEntry & { readonly etag: string; readonly size: number };
  readonly blockSize: number;
  readonly hashes: readonly string[];
}

export const PARTIAL_UPDATE_TYPE = 'application/x-sabredav-partialupdate';

export class RemoteBlocks {
  constructor(
    private readonly http: RemoteHttp,
    private readonly paths: RemotePaths,
  ) {}

  /** The file's current version and block list (PROPFIND Depth 0); undefined when the server gives no usable list. */
  async list(path: string): Promise<BlockList | undefined> {
    const answer = await propfind(this.http, this.paths.urlOf(path), '0', [...ENTRY_PROPS, BLOCK_HASHES]);
    if (answer === undefined) return undefined;
    const first = answer.responses.find((r) => r.kind === 'propstat');
    if (first === undefined) return undefined;
    const entry = entryOf(path, first, false);
    const el = first.props[BLOCK_HASHES];
    if (entry.kind !== 'file' || entry.etag === undefined || entry.size === undefined || el === undefined) return undefined;
    const text = (name: string) => el.children.find((c) => c.name === name)?.text.trim();
    const blockSize = Number(text(BLOCK_SIZE_NAME));
    // A list this client cannot check (another algorithm, a size it will not hold, a count that does not fit the file) is no list.
    if (text(ALGORITHM_NAME)?.toLowerCase() !== 'sha256' || !Number.isSafeInteger(blockSize) || blockSize <= 0 || blockSize > MAX_BLOCK_SIZE) return undefined;
    const listed = text(HASHES_NAME) ?? '';
    const hashes = listed === '' ? [] : listed.toLowerCase().split(/\s+/);
    if (hashes.length !== Math.ceil(entry.size / blockSize) || !hashes.every((h) => /^[0-9a-f]{64}$/.test(h))) return undefined;
    return { entry: { ...entry, etag: entry.etag, size: entry.size }, blockSize, hashes };
  }

  /**
   * The file's FastCDC chunk list (`ds:chunk-hashes`) and the version it is
   * of (PROPFIND Depth 0); undefined when the server gives no usable list.
   * Asked separately from the block list: a davsync server chunks a version
   * on demand, so only a download that needs it should make it do so.
   */
  async chunks(path: string): Promise<(ChunkList & { readonly etag: string }) | undefined> {
    const answer = await propfind(this.http, this.paths.urlOf(path), '0', [...ENTRY_PROPS, CHUNK_HASHES]);
    const first = answer?.responses.find((r) => r.kind === 'propstat');
    if (first === undefined) return undefined;
    const entry = entryOf(path, first, false);
    const el = first.props[CHUNK_HASHES];
    if (entry.kind !== 'file' || entry.etag === undefined || entry.size === undefined || el === undefined) return undefined;
    const list = parseChunkList(el, entry.size);
    return list === undefined ? undefined : { ...list, etag: entry.etag };
  }

  /**
   * Bytes `start` to `end` − 1 of the version `etag` names, streamed. The
   * GET carries `If-Match` (another version is a 412: a `precondition`
   * error), and the 206 is checked to be that range of that version — a
   * server that ignored either would otherwise mix two versions.
   */
  async read(path: string, start: number, end: number, etag: string): Promise<AsyncIterable<Uint8Array>> {
    const spec = { method: 'GET', url: this.paths.urlOf(path), headers: { range: `bytes=${start}-${end - 1}`, 'if-match': etag, 'accept-encoding': 'identity' } };
    const res = await this.http.send(spec);
    if (res.status !== 206 || res.body === null) throw await unexpected(spec, res, res.status === 200 ? 'the server ignored Range' : '');
    const range = /^bytes ([0-9]+)-([0-9]+)\/([0-9]+|\*)$/.exec(res.headers.get('content-range') ?? '');
    const got = comparableEtag(res.headers.get('etag'));
    if (range === null || Number(range[1]) !== start || Number(range[2]) !== end - 1 || (got !== undefined && got !== etag)) {
      throw await unexpected(spec, res, `expected bytes ${start}-${end - 1} of ${etag}, got ${res.headers.get('content-range') ?? 'no Content-Range'} of ${got ?? 'no ETag'}`);
    }
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  /**
   * Writes `length` bytes from `body` at `start` into the version `ifMatch`
   * names (PATCH, `X-Update-Range: bytes=START-END`); the new version's
   * ETag. 405, 415 and 501 say the server has no partial update. `extra`:
   * headers for the last PATCH of a chain (`OC-Checksum` of the whole
   * resulting file, `X-OC-Mtime`; see delta-upload.ts).
   */
  async write(path: string, start: number, length: number, body: AsyncIterable<Uint8Array>, ifMatch: string, extra: Readonly<Record<string, string>> = {}): Promise<string | undefined> {
    const headers = {
      ...extra,
      'content-type': PARTIAL_UPDATE_TYPE,
      'x-update-range': `bytes=${start}-${start + length - 1}`,
      'content-length': String(length),
      'if-match': ifMatch,
    };
    const spec = { method: 'PATCH', url: this.paths.urlOf(path), headers, body };
    const res = await this.http.send(spec);
    if (res.status !== 200 && res.status !== 204) throw await unexpected(spec, res);
    await res.body?.cancel();
    return comparableEtag(res.headers.get('etag'));
  }
}

/** The statuses that say "no PATCH partial update here" (rather than "not this one"). */
export function noPartialUpdate(status: number | undefined): boolean {
  return status === 405 || status === 415 || status === 501;
}
