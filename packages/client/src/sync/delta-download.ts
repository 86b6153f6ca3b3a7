/**
 * Downloading only what changed: when the server's file changed and the
 * local copy is the previous version, the server's block list
 * (`ds:block-hashes`) is compared with the local file's, and the new
 * version is rebuilt in a temporary file from the local blocks it still
 * has and Range GETs of the others (each with `If-Match` on the version
 * listed). The rebuilt file must have exactly the server's block list — so
 * a local file edited while it was copied, or a server that sent other
 * bytes, is never installed — and the executor then checks it against
 * `oc:checksums` and installs it like any download (fsync, atomic rename).
 *
 * When many blocks differ — bytes inserted or removed shifted everything
 * after them — and the file is large, the server's FastCDC chunk list
 * (`ds:chunk-hashes`) is asked for too: the local copy is chunked with the
 * same parameters, and if fetching the chunks it lacks moves fewer bytes
 * than the blocks would, that is the plan. The rebuilt file is checked
 * against the block list all the same.
 *
 * `undefined` means "fetch the whole file": a small file, a server without
 * block lists, a version other than the one listed, little to save, or a
 * rebuilt file that did not come out right.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { RemoteCollection } from '../remote/remote-collection';
import type { Checksums, RemoteEntry } from '../remote/remote-entry';
import { BlockHasher, fileBlocks } from '../local/block-hashes';
import type { LocalFolder } from '../local/local-files';
import { fileChunks } from '../local/content-chunks';
import { reusedReads } from '../local/reused-reads';
import type { BlockList } from '../remote/remote-blocks';
import { chunkPlan, rebuildPlan, type Segment } from './block-diff';

/** Below this size (two of davsync's 4 MiB blocks) a file is moved whole: the list and the hashing would cost about what they save. */
export const DELTA_MIN_BYTES = 8 * 1024 * 1024;
/** A delta is used only when it moves at most this share of the file; beyond it one plain request is as cheap. */
export const DELTA_MAX_SHARE = 0.5;
/** Below this size a shifted file is fetched whole rather than by chunks: the chunk around an edit (4 MiB on average, up to 16) would be most of it. */
export const CDC_MIN_BYTES = 16 * 1024 * 1024;
/** The fixed blocks would move more than this share: bytes were probably inserted or removed, so the chunk list is asked for. */
export const CDC_TRIGGER_SHARE = 0.25;

export interface Downloaded {
  readonly etag?: string;
  readonly size: number;
  readonly digests: Required<Checksums>;
  readonly modified?: number;
}

export async function deltaDownload(remote: RemoteCollection, local: LocalFolder, path: string, listed: RemoteEntry | undefined, temp: string): Promise<Downloaded | undefined> {
  const mine = await local.stat(path);
  if (listed?.size === undefined || listed.size < DELTA_MIN_BYTES || mine?.kind !== 'file' || (mine.size ?? 0) < DELTA_MIN_BYTES) return undefined;
  const list = await remote.blocks.list(path);
  // Another version than planned: the plain download fetches it and the executor defers it (its checksums are not listed yet).
  if (list === undefined || list.entry.etag !== listed.etag) return undefined;
  const base = await fileBlocks(local.abs(path), list.blockSize);
  let plan = rebuildPlan(base.hashes, list.hashes, list.blockSize, list.entry.size);
  if (fetchedBy(plan) > list.entry.size * CDC_TRIGGER_SHARE) {
    const byChunks = await shiftedPlan(remote, local, path, list);
    if (byChunks !== undefined && fetchedBy(byChunks) < fetchedBy(plan)) plan = byChunks;
  }
  if (fetchedBy(plan) > list.entry.size * DELTA_MAX_SHARE) return undefined;
  const built = await rebuild(plan, local.abs(path), temp, list.blockSize, (s) => remote.blocks.read(path, s.start, s.end, list.entry.etag));
  if (built.hashes.length !== list.hashes.length || built.hashes.some((h, i) => h !== list.hashes[i])) {
    await rm(temp, { force: true });
    return undefined;
  }
  return { etag: list.entry.etag, size: list.entry.size, digests: built.digests, ...(list.entry.modified === undefined ? {} : { modified: list.entry.modified }) };
}

const fetchedBy = (plan: readonly Segment[]): number => plan.reduce((n, s) => n + (s.from === 'remote' ? s.end - s.start : 0), 0);

/** The plan from the server's chunk list and the local copy's chunks, when the file is large and the server has a list of the listed version. */
async function shiftedPlan(remote: RemoteCollection, local: LocalFolder, path: string, list: BlockList): Promise<Segment[] | undefined> {
  if (list.entry.size < CDC_MIN_BYTES) return undefined;
  const chunks = await remote.blocks.chunks(path);
  if (chunks === undefined || chunks.etag !== list.entry.etag) return undefined;
  return chunkPlan(await fileChunks(local.abs(path), chunks.params), chunks.chunks);
}

/** Writes the plan's pieces in order into `temp` (fsynced), hashing what is written: its block list and digests. */
async function rebuild(
  plan: readonly Segment[],
  source: string,
  temp: string,
  blockSize: number,
  fetch: (s: Segment) => Promise<AsyncIterable<Uint8Array>>,
): Promise<{ hashes: string[]; digests: Required<Checksums> }> {
  const blocks = new BlockHasher(blockSize);
  const sha1 = createHash('sha1');
  const md5 = createHash('md5');
  const out = await open(temp, 'w');
  try {
    for (const s of plan) {
      // Local pieces through one reused buffer: each chunk is written (awaited) before the next is read.
      const bytes = s.from === 'local' ? reusedReads(source, { start: s.at, end: s.at + (s.end - s.start) }) : await fetch(s);
      let n = 0;
      for await (const chunk of bytes) {
        n += chunk.byteLength;
        if (n > s.end - s.start) throw new Error(`davsync: more bytes than asked for at ${s.start}`);
        blocks.update(chunk);
        sha1.update(chunk);
        md5.update(chunk);
        for (let at = 0; at < chunk.byteLength; ) at += (await out.write(chunk, at, chunk.byteLength - at)).bytesWritten;
      }
      // A local copy that shrank while read gives fewer bytes; the list check that follows then fails.
      if (n < s.end - s.start) break;
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return { hashes: blocks.hashes(), digests: { sha1: sha1.digest('hex'), md5: md5.digest('hex') } };
}
