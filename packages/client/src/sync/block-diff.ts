/**
 * Which parts of a file must cross the network, from two fixed-size block
 * lists (ours and the server's, see `local/block-hashes.ts`). Pure: the
 * delta download and upload act on what these functions decide.
 */

/** Bytes `start` to `end` − 1 of a file. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** One piece of a file being rebuilt: bytes copied from the local copy, or fetched from the server. */
export type Segment = { readonly from: 'local'; readonly start: number; readonly end: number; readonly at: number } | { readonly from: 'remote'; readonly start: number; readonly end: number };

/**
 * How to rebuild the server's version (`target`, `targetSize` bytes) from
 * the local copy (`local`): each target block whose hash the local copy has
 * — at the same place first, else anywhere on a block boundary — is copied
 * from there (`at`: its offset in the local file); every other is fetched.
 * Neighbouring pieces of the same kind are merged, so a run of changed
 * blocks is one Range request.
 */
export function rebuildPlan(local: readonly string[], target: readonly string[], blockSize: number, targetSize: number): Segment[] {
  const firstAt = new Map<string, number>();
  local.forEach((h, i) => firstAt.has(h) || firstAt.set(h, i));
  const plan: Segment[] = [];
  target.forEach((hash, i) => {
    const start = i * blockSize;
    const end = Math.min(start + blockSize, targetSize);
    const j = local[i] === hash ? i : firstAt.get(hash);
    const last = plan[plan.length - 1];
    if (j === undefined) {
      if (last?.from === 'remote' && last.end === start) plan[plan.length - 1] = { ...last, end };
      else plan.push({ from: 'remote', start, end });
    } else if (last?.from === 'local' && last.end === start && last.at + (last.end - last.start) === j * blockSize) {
      plan[plan.length - 1] = { ...last, end };
    } else {
      plan.push({ from: 'local', start, end, at: j * blockSize });
    }
  });
  return plan;
}

/** A chunk of a file: where it is, how long, its hash (`ds:chunk-hashes`, `local/content-chunks.ts`). */
export interface HashedChunk {
  readonly offset: number;
  readonly length: number;
  readonly hash: string;
}

/**
 * How to rebuild the server's version from content-defined chunk lists:
 * each target chunk whose hash the local copy has anywhere is copied from
 * there, every other fetched. Neighbouring pieces are merged as in
 * {@link rebuildPlan}.
 */
export function chunkPlan(local: readonly HashedChunk[], target: readonly HashedChunk[]): Segment[] {
  const at = new Map<string, number>();
  for (const c of local) if (!at.has(c.hash)) at.set(c.hash, c.offset);
  const plan: Segment[] = [];
  for (const c of target) {
    const start = c.offset;
    const end = c.offset + c.length;
    const from = at.get(c.hash);
    const last = plan[plan.length - 1];
    if (from === undefined) {
      if (last?.from === 'remote' && last.end === start) plan[plan.length - 1] = { ...last, end };
      else plan.push({ from: 'remote', start, end });
    } else if (last?.from === 'local' && last.end === start && last.at + (last.end - last.start) === from) {
      plan[plan.length - 1] = { ...last, end };
    } else {
      plan.push({ from: 'local', start, end, at: from });
    }
  }
  return plan;
}

/**
 * The byte ranges of `target` (the local file, `targetSize` bytes) that
 * differ from `base` (the server's list) block for block, at the same
 * place — what PATCH must write. Blocks past the base's end are all
 * changed (the file grew); adjacent changed blocks form one range.
 */
export function changedRanges(base: readonly string[], target: readonly string[], blockSize: number, targetSize: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  target.forEach((hash, i) => {
    if (base[i] === hash) return;
    const start = i * blockSize;
    const end = Math.min(start + blockSize, targetSize);
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === start) ranges[ranges.length - 1] = { start: last.start, end };
    else ranges.push({ start, end });
  });
  return ranges;
}

/**
 * At most `max` ranges, by joining the two closest neighbours until few
 * enough are left (the bytes between are sent again, unchanged). Each PATCH
 * makes the server write a new copy of the whole file, so many scattered
 * small ones would cost it far more than a few unchanged blocks on the wire.
 */
export function coalesce(ranges: readonly ByteRange[], max: number): ByteRange[] {
  const out = [...ranges];
  while (out.length > Math.max(1, max)) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) if (gapAfter(out, i) < gapAfter(out, best)) best = i;
    out.splice(best, 2, { start: out[best]!.start, end: out[best + 1]!.end });
  }
  return out;
}

function gapAfter(ranges: readonly ByteRange[], i: number): number {
  return ranges[i + 1]!.start - ranges[i]!.end;
}

export function bytesIn(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start), 0);
}
