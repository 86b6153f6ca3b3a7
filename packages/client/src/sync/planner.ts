/**
 * The reconcile planner: (synced, local, remote) → the actions that bring
 * both sides together. Pure — no I/O, the clock passed in — so its rules
 * are tested on their own, by example and by property (test/planner*.test.ts).
 *
 * The rules, per path, by what changed since the synced state:
 * - one side changed: it is copied to the other (a deletion included, but
 *   only over a version that is unchanged: delete-remote carries the synced
 *   ETag as If-Match);
 * - both changed, both files: a conflict — the remote version wins the
 *   name, the local one is kept as `NAME (conflict …).EXT` and uploaded
 *   (the executor skips the copy when the bytes are the same);
 * - deleted on one side, edited on the other: the edit is kept;
 * - deleted on both, or created alike on both (folders): only the state is updated;
 * - a folder is deleted only when nothing below it is kept; else it is recreated;
 * - a move is seen by identity — the server's file ID for a remote move,
 *   the inode (with size and mtime) for a local one — and replayed as a
 *   move on the other side, so content is not sent again;
 * - a name one side cannot hold, or a file on one side that is a folder on
 *   the other, is reported (`skip`) and left alone, never dropped.
 */
import type { RemoteEntry } from '../remote/remote-entry';
import { conflictName } from './conflict-name';
import { depthOf, localChanged, remoteChanged, within, type LocalEntry, type SyncedEntry } from './entries';

export type Action =
  | { readonly type: 'download'; readonly path: string; readonly etag?: string }
  /** `ifMatch` undefined: a new file (`If-None-Match: *`). */
  | { readonly type: 'upload'; readonly path: string; readonly ifMatch?: string }
  | { readonly type: 'conflict'; readonly path: string; readonly copy: string; readonly etag?: string }
  | { readonly type: 'mkdir-local'; readonly path: string }
  | { readonly type: 'mkdir-remote'; readonly path: string }
  | { readonly type: 'delete-local'; readonly path: string; readonly kind: 'file' | 'dir' }
  | { readonly type: 'delete-remote'; readonly path: string; readonly kind: 'file' | 'dir'; readonly ifMatch?: string }
  | { readonly type: 'rename-local'; readonly from: string; readonly to: string }
  | { readonly type: 'rename-remote'; readonly from: string; readonly to: string; readonly kind: 'file' | 'dir'; readonly ifMatch?: string }
  /** Both sides already agree (both deleted, or the same folder made on both): update the state only. */
  | { readonly type: 'record'; readonly path: string }
  | { readonly type: 'skip'; readonly path: string; readonly reason: string };

export interface PlanInput {
  readonly synced: ReadonlyMap<string, SyncedEntry>;
  readonly local: ReadonlyMap<string, LocalEntry>;
  readonly remote: ReadonlyMap<string, RemoteEntry>;
  /** For conflict-copy names. */
  readonly now: Date;
  /**
   * Whether a path that is in none of the three maps exists on some side: a pass that plans
   * only the changed part of the trees (changed-paths.ts) answers from the state, so that a
   * conflict copy is never named like a file outside that part. Default: it does not.
   */
  readonly elsewhere?: (path: string) => boolean;
}

/** The order actions run in: moves, then folders top-down, then content, then deletions bottom-up. */
const PHASE: Record<Action['type'], number> = {
  'rename-local': 0,
  'rename-remote': 0,
  'mkdir-local': 1,
  'mkdir-remote': 1,
  download: 2,
  upload: 2,
  conflict: 2,
  record: 3,
  skip: 3,
  'delete-local': 4,
  'delete-remote': 4,
};

export function plan(input: PlanInput): Action[] {
  const synced = new Map(input.synced);
  const local = new Map(input.local);
  const remote = new Map(input.remote);
  const actions: Action[] = [...moves(synced, local, remote)];

  const paths = [...new Set([...synced.keys(), ...local.keys(), ...remote.keys()])].filter((p) => p !== '');
  const byPath = new Map<string, Action>();
  // The conflict copies named so far, in a set: a first sync over two full folders makes a conflict of every file.
  const copies = new Set<string>();
  const elsewhere = input.elsewhere;
  const outside = (p: string) => elsewhere !== undefined && !input.synced.has(p) && !input.local.has(p) && !input.remote.has(p) && elsewhere(p);
  const taken = (p: string) => local.has(p) || remote.has(p) || copies.has(p) || outside(p);
  for (const path of paths) {
    const action = decide(path, synced.get(path), local.get(path), remote.get(path), input.now, taken);
    if (action === undefined) continue;
    byPath.set(path, action);
    if (action.type === 'conflict') copies.add(action.copy);
  }
  keepFoldersWithContent(paths, byPath, local, remote);
  actions.push(...byPath.values());
  return actions.sort((a, b) => PHASE[a.type] - PHASE[b.type] || order(a, b));
}

function decide(
  path: string,
  s: SyncedEntry | undefined,
  l: LocalEntry | undefined,
  r: RemoteEntry | undefined,
  now: Date,
  taken: (p: string) => boolean,
): Action | undefined {
  const unsupported = unholdable(path);
  if (unsupported !== undefined && (l !== undefined || r !== undefined)) return { type: 'skip', path, reason: unsupported };
  if (l !== undefined && r !== undefined && l.kind !== r.kind) return { type: 'skip', path, reason: 'a file on one side is a folder on the other' };
  const lc = localChanged(s, l);
  const rc = remoteChanged(s, r);
  if (!lc && !rc) return undefined;
  if (l === undefined && r === undefined) return { type: 'record', path }; // deleted on both sides
  if (lc && !rc) {
    if (l === undefined) return { type: 'delete-remote', path, kind: s!.kind, ...(s!.etag === undefined || s!.kind === 'dir' ? {} : { ifMatch: s!.etag }) };
    return copyUp(path, l, r);
  }
  if (!lc && rc) {
    if (r === undefined) return { type: 'delete-local', path, kind: s!.kind };
    return copyDown(path, r);
  }
  // Both changed.
  if (l === undefined) return copyDown(path, r!); // deleted here, edited there: keep the edit
  if (r === undefined) return copyUp(path, l, undefined); // edited here, deleted there: keep the edit
  if (l.kind === 'dir') return { type: 'record', path }; // the same folder made on both sides
  return { type: 'conflict', path, copy: conflictName(path, now, taken), ...(r.etag === undefined ? {} : { etag: r.etag }) };
}

function copyUp(path: string, l: LocalEntry, r: RemoteEntry | undefined): Action {
  if (l.kind === 'dir') return r === undefined ? { type: 'mkdir-remote', path } : { type: 'record', path };
  return { type: 'upload', path, ...(r?.etag === undefined ? {} : { ifMatch: r.etag }) };
}

function copyDown(path: string, r: RemoteEntry): Action {
  if (r.kind === 'dir') return { type: 'mkdir-local', path };
  return { type: 'download', path, ...(r.etag === undefined ? {} : { etag: r.etag }) };
}

/**
 * A folder is deleted on one side only if everything below it goes too;
 * if anything below is kept (an edit, a new file, a skipped name), the
 * deletion becomes a re-creation. Deepest folders first, so a kept file
 * keeps every folder above it.
 */
function keepFoldersWithContent(paths: readonly string[], byPath: Map<string, Action>, local: ReadonlyMap<string, LocalEntry>, remote: ReadonlyMap<string, RemoteEntry>): void {
  const folders = paths.filter((p) => {
    const a = byPath.get(p);
    return (a?.type === 'delete-local' || a?.type === 'delete-remote') && a.kind === 'dir';
  });
  folders.sort((a, b) => depthOf(b) - depthOf(a));
  for (const dir of folders) {
    const keeps = paths.some((p) => p !== dir && within(p, dir) && keepsSomething(byPath.get(p), local.has(p) || remote.has(p)));
    if (!keeps) continue;
    const action = byPath.get(dir)!;
    byPath.set(dir, action.type === 'delete-remote' ? { type: 'mkdir-local', path: dir } : { type: 'mkdir-remote', path: dir });
  }
}

function keepsSomething(action: Action | undefined, present: boolean): boolean {
  if (action === undefined) return present;
  return action.type !== 'delete-local' && action.type !== 'delete-remote' && !(action.type === 'record' && !present);
}

/**
 * Moves, found by identity and replayed on the other side; the three maps
 * are rewritten as if the move had been synced, so the per-path rules then
 * see only what else changed (an edit during a move is uploaded or
 * downloaded after it).
 */
function moves(synced: Map<string, SyncedEntry>, local: Map<string, LocalEntry>, remote: Map<string, RemoteEntry>): Action[] {
  const out: Action[] = [];
  const remoteById = new Map<string, RemoteEntry>();
  for (const r of remote.values()) if (r.fileId !== undefined) remoteById.set(r.fileId, r);
  const localByIno = new Map<string, LocalEntry>();
  for (const l of local.values()) if (l.ino !== undefined) localByIno.set(l.ino, l);
  // Only a path gone from one side can have moved (and a rekey below never makes an unmoved one so).
  // Shallowest first: a moved folder carries its members, which then need no move of their own. Then by
  // path: one move can rule out another, so the order must not be the maps' (a plan over part of the
  // trees, changed-paths.ts, holds them in another order than a plan over all of them).
  const candidates = [...synced.values()]
    .filter((s) => !remote.has(s.path) || !local.has(s.path))
    .sort((a, b) => depthOf(a.path) - depthOf(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const s of candidates) {
    if (synced.get(s.path) !== s) continue; // re-keyed by a folder's move already
    const from = s.path;
    const r = s.fileId === undefined ? undefined : remoteById.get(s.fileId);
    if (r !== undefined && r.path !== from && !remote.has(from) && !synced.has(r.path) && !local.has(r.path) && r.kind === s.kind) {
      const l = local.get(from);
      if (l !== undefined && !localChanged(s, l) && !within(r.path, from)) {
        out.push({ type: 'rename-local', from, to: r.path });
        rekey(synced, from, r.path);
        rekey(local, from, r.path);
        continue;
      }
    }
    const l = s.ino === undefined ? undefined : localByIno.get(s.ino);
    if (l !== undefined && l.path !== from && !local.has(from) && !synced.has(l.path) && !remote.has(l.path) && l.kind === s.kind) {
      const sameContent = s.kind === 'dir' || (s.size === l.size && s.mtimeNs === l.mtimeNs);
      const rFrom = remote.get(from);
      if (sameContent && rFrom !== undefined && !remoteChanged(s, rFrom) && !within(l.path, from)) {
        out.push({ type: 'rename-remote', from, to: l.path, kind: s.kind, ...(s.kind === 'file' && s.etag !== undefined ? { ifMatch: s.etag } : {}) });
        rekey(synced, from, l.path);
        rekey(remote, from, l.path);
      }
    }
  }
  return out;
}

/** Moves every entry at or below `from` to the same place below `to`. */
function rekey<T extends { readonly path: string }>(map: Map<string, T>, from: string, to: string): void {
  for (const [path, entry] of [...map]) {
    if (!within(path, from)) continue;
    const moved = to + path.slice(from.length);
    map.delete(path);
    map.set(moved, { ...entry, path: moved });
  }
}

/** Why a name cannot be synced, or undefined. */
/** A segment that is empty, `.` or `..` (a regular expression, not a split: this runs for every path each pass). */
const BAD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

export function unholdable(path: string): string | undefined {
  if (path === '.davsync-client' || path.startsWith('.davsync-client/')) return 'the name of the client state folder';
  if (path.includes('\0')) return 'a NUL character in the name';
  if (BAD_SEGMENT.test(path)) return 'an empty, . or .. name segment';
  return undefined;
}

function order(a: Action, b: Action): number {
  const pa = 'path' in a ? a.path : a.from;
  const pb = 'path' in b ? b.path : b.from;
  // Deletions bottom-up (members before their folder); everything else top-down.
  if (a.type.startsWith('delete')) return depthOf(pb) - depthOf(pa) || (pa < pb ? -1 : 1);
  return depthOf(pa) - depthOf(pb) || (pa < pb ? -1 : pa > pb ? 1 : 0);
}
