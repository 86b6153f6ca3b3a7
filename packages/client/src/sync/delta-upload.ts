/**
 * Uploading only what changed: when the local file changed and the server
 * still has the synced version, the server's block list of that version is
 * compared with the local file's, and only the differing ranges are sent,
 * each with a PATCH (`X-Update-Range`) conditional on the version the
 * previous one made (`If-Match`, the answer's ETag chaining to the next).
 * A file that grew is extended by the last PATCH; one that shrank is sent
 * whole (PATCH cannot shorten a file).
 *
 * Crash safety: the chain is noted in the state before the first PATCH,
 * and each answer's ETag after it (`state/delta-uploads.ts`); every version
 * it makes on the server is a block-for-block mix of the synced version and
 * the local file. `resumeDeltaUploads`, at the start of the next pass,
 * recognises such a version as the client's own and records it as the
 * synced ETag (the local identity stays the old one): the planner then
 * sees "changed here, not there" and sends what is still missing — no
 * false conflict, no lost edit.
 *
 * The last PATCH carries `OC-Checksum` (the SHA-1 of the whole local file:
 * davsync checks it against the whole file the PATCH makes, and stores
 * nothing on a mismatch) and `X-OC-Mtime` (the file's own time), as a PUT
 * would.
 *
 * Each block is read, checked against the hash it had when the file was
 * hashed, and only then sent: a file edited while it is being sent stops
 * the PATCH mid-body (the server keeps nothing of it) rather than storing
 * a torn block.
 *
 * `undefined` means "PUT the whole file": a small file, a server without
 * block lists or without PATCH (405, 415 or 501 to the first one), a file
 * that shrank, or little to save.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { isRemoteError, RemoteError } from '../remote/remote-error';
import type { RemoteCollection, Written } from '../remote/remote-collection';
import { noPartialUpdate, type BlockList } from '../remote/remote-blocks';
import { fileBlocks } from '../local/block-hashes';
import type { LocalFolder } from '../local/local-files';
import type { SyncState } from '../state/sync-state';
import type { DeltaUpload } from '../state/delta-uploads';
import { bytesIn, changedRanges, coalesce, type ByteRange } from './block-diff';
import { DELTA_MAX_SHARE, DELTA_MIN_BYTES } from './delta-download';

/** At most this many PATCHes per file: each one makes the server write a whole new copy. */
export const MAX_PATCHES = 8;

/** The local file changed while it was being sent; the server kept nothing of the PATCH under way. */
export class ChangedWhileSent extends Error {
  override readonly name = 'ChangedWhileSent';
}

export async function deltaUpload(remote: RemoteCollection, local: LocalFolder, state: SyncState, path: string, size: number, ifMatch: string): Promise<Written | undefined> {
  if (size < DELTA_MIN_BYTES) return undefined;
  const list = await remote.blocks.list(path);
  if (list === undefined) return undefined;
  if (list.entry.etag !== ifMatch) throw new RemoteError('precondition', `PATCH ${remote.paths.urlOf(path)}: changed on the server since it was listed`, 412);
  const mine = await fileBlocks(local.abs(path), list.blockSize);
  if (mine.size < list.entry.size) return undefined;
  const ranges = coalesce(changedRanges(list.hashes, mine.hashes, list.blockSize, mine.size), MAX_PATCHES);
  if (bytesIn(ranges) > mine.size * DELTA_MAX_SHARE) return undefined;
  const fileId = list.entry.fileId === undefined ? {} : { fileId: list.entry.fileId };
  if (ranges.length === 0) return { etag: ifMatch, sha1: mine.digests.sha1, ...fileId };
  const log = state.deltaUploads();
  log.begin({ path, baseEtag: ifMatch, lastEtag: ifMatch, blockSize: list.blockSize, baseSize: list.entry.size, targetSize: mine.size, baseHashes: list.hashes, targetHashes: mine.hashes });
  const { mtimeMs } = await stat(local.abs(path));
  // Unix seconds to the millisecond, as a PUT sends it; a time before 1970 is not sent.
  const last = { 'oc-checksum': `SHA1:${mine.digests.sha1}`, ...(mtimeMs >= 0 ? { 'x-oc-mtime': (Math.floor(mtimeMs) / 1000).toFixed(3) } : {}) };
  let etag = ifMatch;
  for (const [k, range] of ranges.entries()) {
    const torn = { found: false };
    let next: string | undefined;
    try {
      const body = checkedBlocks(local.abs(path), range, list.blockSize, mine.hashes, torn);
      next = await remote.blocks.write(path, range.start, range.end - range.start, body, etag, k === ranges.length - 1 ? last : {});
    } catch (err) {
      if (torn.found) throw new ChangedWhileSent(`${path} changed while it was sent`);
      if (k === 0 && isRemoteError(err, 'status') && noPartialUpdate(err.status)) {
        log.forget(path);
        return undefined;
      }
      throw err;
    }
    // davsync answers every PATCH with its ETag; a server that does not is asked (nobody else can have written in between unnoticed: the next If-Match would fail).
    etag = next ?? (await remote.stat(path))?.etag ?? '';
    if (etag === '') throw new RemoteError('protocol', `PATCH ${remote.paths.urlOf(path)}: the answer names no ETag, and PROPFIND gives none`);
    log.advance(path, etag);
  }
  return { etag, sha1: mine.digests.sha1, ...fileId };
}

/**
 * The bytes of `range`, a block at a time, each checked against the hash
 * the file had when it was hashed; on a mismatch `torn.found` is set and
 * the body fails, which aborts the request. One buffer serves every block:
 * the request has sent a block before it asks for the next
 * (streamed-request.ts), so only one block is ever in memory.
 */
async function* checkedBlocks(file: string, range: ByteRange, blockSize: number, hashes: readonly string[], torn: { found: boolean }): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(blockSize, range.end - range.start));
    for (let start = range.start; start < range.end; start += blockSize) {
      const length = Math.min(blockSize, range.end - start);
      const block = buffer.subarray(0, length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(block, got, length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < length || createHash('sha256').update(block).digest('hex') !== hashes[start / blockSize]) {
        torn.found = true;
        throw new ChangedWhileSent(`${file} changed while it was sent`);
      }
      yield block;
    }
  } finally {
    await handle.close();
  }
}

/**
 * At the start of a pass, after the server's changes are read: each chain
 * a kill (or a failure) left unfinished. When the server's version is the
 * chain's own — the last ETag noted, or (a kill between a PATCH and its
 * note) a version whose block list is a mix of the base's and the local
 * file's — it becomes the synced ETag, so the pass sends the rest rather
 * than planning a conflict. Anything else (someone else's edit, a deleted
 * file) is left to the planner as usual. The note is dropped either way.
 */
export async function resumeDeltaUploads(remote: RemoteCollection, state: SyncState): Promise<number> {
  const log = state.deltaUploads();
  const chains = log.all();
  if (chains.length === 0) return 0;
  const tree = state.remoteTree();
  const synced = state.synced();
  let adopted = 0;
  for (const chain of chains) {
    const r = tree.get(chain.path);
    const s = synced.get(chain.path);
    let ours: string | undefined;
    if (r?.kind === 'file' && r.etag !== undefined && r.etag !== chain.baseEtag && s?.etag === chain.baseEtag) {
      if (r.etag === chain.lastEtag) ours = r.etag;
      else {
        const list = await remote.blocks.list(chain.path);
        if (list !== undefined && list.entry.etag === r.etag && isMixOf(list, chain)) ours = r.etag;
      }
    }
    state.transaction(() => {
      if (ours !== undefined && s !== undefined) state.setSynced({ ...s, etag: ours });
      log.forget(chain.path);
    });
    if (ours !== undefined) adopted++;
  }
  return adopted;
}

/** Whether every block of `list` is the base's or the local file's at the same place, at one of the two sizes. */
function isMixOf(list: BlockList, chain: DeltaUpload): boolean {
  if (list.blockSize !== chain.blockSize || (list.entry.size !== chain.baseSize && list.entry.size !== chain.targetSize)) return false;
  return list.hashes.every((h, i) => h === chain.baseHashes[i] || h === chain.targetHashes[i]);
}
