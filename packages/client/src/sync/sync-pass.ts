/**
 * One pass of the two-way mirror: refuse if either root has vanished, read
 * the server's changes into the state, scan the folder, plan, check the
 * mass-deletion guard, carry the plan out. `syncUntilAgreed` repeats
 * passes (bounded) until one finds nothing to do — what `davsync sync
 * --once` runs.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Unreadable } from '../remote/change-feed';
import { MemberNames, memberExtension } from '../remote/member-names';
import { RemoteCollection, type RemoteCollectionOptions } from '../remote/remote-collection';
import { LocalFolder } from '../local/local-files';
import { STATE_DIR, scanLocal, type LocalScan } from '../local/local-scan';
import { lookable, scanWatched } from '../local/watched-paths';
import { restrictedTrees } from './changed-paths';
import { SyncState } from '../state/sync-state';
import { execute, type ActionReport } from './executor';
import { PassTimings } from './pass-timings';
import type { RemoteEntry } from '../remote/remote-entry';
import type { LocalEntry, SyncedEntry } from './entries';
import { nothingToPlan } from './nothing-to-plan';
import { hashRacyFiles } from './racy-files';
import { resumeDeltaUploads } from './delta-upload';
import { plan, type Action } from './planner';

export interface SyncOptions extends RemoteCollectionOptions {
  /** The local folder; it must exist. */
  readonly dir: string;
  /** Refuse a pass that would delete more than this percentage of the synced files (default 50; 100 turns the guard off). */
  readonly maxDeletePercent?: number;
  /** Plan, print, change nothing (the server's changes are still read into the state). */
  readonly dryRun?: boolean;
  /** The clock, for conflict-copy names. */
  readonly now?: () => Date;
  readonly onAction?: (report: ActionReport) => void;
  /** Downloads, uploads and folders made at once (default 4, `DEFAULT_TRANSFERS`; 1: one at a time). */
  readonly transfers?: number;
  /** Stops the pass between two actions (SIGINT, SIGTERM): what was done is recorded, the rest waits for the next run. */
  readonly signal?: AbortSignal;
  /**
   * Continuous mode, the folder watcher working and able to name what changed since the previous pass
   * began: no scan. The local side is taken as the state records it (`trusted-local.ts`) except at
   * `localChanges` and the same-tick files (`racy-files.ts`), which are looked at.
   */
  readonly trustLocal?: boolean;
  /**
   * With `trustLocal`: the paths the watcher reported since the previous pass began (relative).
   * Only these are looked at (and what is below a reported folder); the pass then plans only the
   * paths that changed on either side (changed-paths.ts). A path that cannot be looked at on its own
   * (not relative and normal) makes the pass scan.
   */
  readonly localChanges?: readonly string[];
}

/** A pass refused before it changed anything: a vanished root, or too many deletions. */
export class SyncRefused extends Error {
  override readonly name = 'SyncRefused';
}

export interface PassCounts {
  downloaded: number;
  uploaded: number;
  conflicts: number;
  deletedLocal: number;
  deletedRemote: number;
  folders: number;
  moved: number;
  deferred: number;
  failed: number;
  skipped: number;
}

export interface PassResult {
  readonly actions: readonly Action[];
  /** Empty for a dry run. */
  readonly reports: readonly ActionReport[];
  readonly counts: PassCounts;
  /** The server refused the stored sync token: this pass compared full listings (by ETag; only changes were fetched). */
  readonly tokenRefused: boolean;
  /** Nothing was left to do but report unsyncable names. */
  readonly agreed: boolean;
  /** The folder was scanned (false: a `trustLocal` pass took the local side from the state). */
  readonly scanned: boolean;
  /** A pass that did not scan: how many local paths it lstat'ed, and how many paths it planned. */
  readonly looked?: { readonly localPaths: number; readonly plannedPaths: number };
}

/** Files deleted by a pass are not guarded below this many (deleting one of two files is a normal edit). */
const GUARD_MINIMUM = 3;

export async function syncPass(options: SyncOptions): Promise<PassResult> {
  const timings = new PassTimings();
  await checkLocalRoot(options.dir);
  // The folder is scanned while the server answers (the scan yields between folders):
  // the two waits overlap. Nothing below changes the tree before the scan is awaited.
  const localChanges = options.localChanges ?? [];
  const trusting = options.trustLocal === true && lookable(localChanges);
  let scanning = trusting ? undefined : startScan(options.dir);
  const remote = new RemoteCollection(options);
  const root = await remote.stat('');
  timings.mark('root');
  if (root === undefined || root.kind !== 'dir') {
    throw new SyncRefused(`the remote collection ${remote.paths.root.href} ${root === undefined ? 'does not exist (404)' : 'is not a collection'}: refusing to sync (nothing was changed)`);
  }
  const stateDir = join(options.dir, STATE_DIR);
  await mkdir(stateDir, { recursive: true });
  const state = SyncState.open(join(stateDir, 'state.db'), remote.paths.root.href);
  try {
    const extension = memberExtension(root);
    if (extension !== undefined) remote.paths.useNames(new MemberNames(extension, state.memberNames(), (segment, path) => state.addMemberName(segment, path)));
    const local = new LocalFolder(options.dir);
    await local.prepare();
    const pending = state.pendingPaths();
    const identities = new Map(await Promise.all(pending.map(async (p) => [p, await local.stat(p)] as const)));
    state.resolvePending((p) => identities.get(p));
    timings.mark('open');
    const { tokenRefused, unreadable } = await readRemoteChanges(remote, state);
    state.adoptFileIds();
    if (options.dryRun !== true) await resumeDeltaUploads(remote, state);
    timings.mark('feed');
    const c: PassContext = { options, timings, state, local, remote, root, localChanges, tokenRefused, unreadable };
    if (scanning === undefined) return await changedPathsPass(c);
    const scan = await scanning;
    timings.mark(`scan (${scan.entries.size})`);
    // Same-tick identities hashed first (racy-files.ts): the scan's entries then carry their digests,
    // and the check below, like the planner, compares those by content.
    await hashRacyFiles(local, scan.entries, state.racySynced(), state);
    // Both sides as synced (the usual pass): the plan is empty, proven without reading either tree (nothing-to-plan.ts).
    const settled = nothingToPlan(state, scan.entries);
    timings.mark(settled ? 'check: nothing to plan' : 'check');
    const { actions, remoteTree } = settled ? nothingPlanned() : planPass(scan.entries, state, options.now, timings);
    return await finishPass(c, actions, scan.skipped, { local: scan.entries, remote: remoteTree }, undefined);
  } finally {
    state.close();
  }
}

interface PassContext {
  readonly options: SyncOptions;
  readonly timings: PassTimings;
  readonly state: SyncState;
  readonly local: LocalFolder;
  readonly remote: RemoteCollection;
  readonly root: RemoteEntry;
  readonly localChanges: readonly string[];
  readonly tokenRefused: boolean;
  readonly unreadable: readonly Unreadable[];
}

/**
 * A pass without a scan (continuous mode, the watcher healthy): the local side is the state's, except
 * at the paths the watcher reported and the same-tick files, which are looked at; only the paths that
 * changed on either side are planned (changed-paths.ts), with what a full plan would do for them.
 */
async function changedPathsPass(c: PassContext): Promise<PassResult> {
  const { options, timings, state, local, tokenRefused, unreadable } = c;
  // A same-tick identity is trusted only after its content is compared (racy-files.ts): those few are looked at too.
  const racy = state.racySynced();
  if (c.localChanges.length === 0 && racy.length === 0 && unreadable.length === 0 && state.remoteAsSynced()) {
    // Nothing changed on the server, and nothing here as far as the watcher knows: nothing to do.
    timings.mark('trusted local side: nothing to plan');
    timings.report();
    return { actions: [], reports: [], counts: count([], []), tokenRefused, agreed: true, scanned: false, looked: { localPaths: 0, plannedPaths: 0 } };
  }
  const watched = await scanWatched(options.dir, [...c.localChanges, ...racy.map((s) => s.path)]);
  timings.mark(`look at ${c.localChanges.length} reported + ${racy.length} same-tick paths (${watched.entries.size} entries)`);
  const trees = restrictedTrees(state.remoteDifferences(), watched, state);
  timings.mark(`changed part (${trees.paths} paths)`);
  await hashRacyFiles(local, trees.local, racy, state);
  const actions = plan({ ...trees, now: (options.now ?? (() => new Date()))(), elsewhere: (p) => state.holds(p) });
  timings.mark('plan');
  return finishPass(c, actions, watched.skipped, { local: trees.local, remote: trees.remote }, { localPaths: watched.entries.size, plannedPaths: trees.paths });
}

/** Reports, the deletion guard, and the plan carried out: the end of every pass that planned. */
async function finishPass(
  c: PassContext,
  actions: Action[],
  skipped: readonly { readonly path: string; readonly reason: string }[],
  trees: { readonly local: ReadonlyMap<string, LocalEntry>; readonly remote: ReadonlyMap<string, RemoteEntry> },
  looked: PassResult['looked'],
): Promise<PassResult> {
  const { options, timings, state, tokenRefused, unreadable } = c;
  for (const s of skipped) actions.push({ type: 'skip', path: s.path, reason: s.reason });
  for (const u of unreadable) actions.push({ type: 'skip', path: u.href, reason: `on the server: ${u.reason}` });
  guardDeletions(actions, () => state.syncedFileCount(), options.maxDeletePercent ?? 50);
  const agreed = actions.every((a) => a.type === 'skip');
  timings.report();
  const scanned = looked === undefined;
  const extra = looked === undefined ? {} : { looked };
  if (options.dryRun === true) return { actions, reports: [], counts: count(actions, undefined), tokenRefused, agreed, scanned, ...extra };
  const reports = await execute(actions, {
    remote: c.remote,
    local: c.local,
    state,
    localTree: trees.local,
    remoteTree: trees.remote,
    ...(c.root.davCollection === undefined ? {} : { davCollection: c.root.davCollection }),
    ...(options.onAction === undefined ? {} : { onAction: options.onAction }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.transfers === undefined ? {} : { transfers: options.transfers }),
  });
  return { actions, reports, counts: count(actions, reports), tokenRefused, agreed: agreed && reports.length === actions.length, scanned, ...extra };
}

function startScan(dir: string): Promise<LocalScan> {
  const scanning = scanLocal(dir);
  scanning.catch(() => undefined); // awaited later; not an unhandled rejection if the pass stops first
  return scanning;
}

/** Passes until one finds nothing to do, at most `maxPasses` (a folder edited without pause never agrees). */
export async function syncUntilAgreed(options: SyncOptions, maxPasses = 4): Promise<{ passes: PassResult[]; agreed: boolean }> {
  const passes: PassResult[] = [];
  for (let i = 0; i < maxPasses; i++) {
    const pass = await syncPass(options);
    passes.push(pass);
    if (pass.agreed || options.dryRun === true) return { passes, agreed: pass.agreed };
  }
  return { passes, agreed: false };
}

interface Planned {
  readonly actions: Action[];
  readonly synced: ReadonlyMap<string, SyncedEntry>;
  readonly remoteTree: ReadonlyMap<string, RemoteEntry>;
}

function nothingPlanned(): Planned {
  return { actions: [], synced: new Map(), remoteTree: new Map() };
}

/** The three trees read into memory and compared: what a pass does when something changed. */
function planPass(
  localTree: Map<string, LocalEntry>,
  state: SyncState,
  now: (() => Date) | undefined,
  timings: PassTimings,
): Planned {
  const synced = state.synced();
  const remoteTree = state.remoteTree();
  timings.mark('state');
  const actions = plan({ synced, local: localTree, remote: remoteTree, now: (now ?? (() => new Date()))() });
  timings.mark('plan');
  return { actions, synced, remoteTree };
}

/** The feed, page by page into the state; the cursor stored only at its end. */
async function readRemoteChanges(remote: RemoteCollection, state: SyncState): Promise<{ tokenRefused: boolean; unreadable: readonly Unreadable[] }> {
  const seen = new Set<string>();
  for await (const item of remote.changes(state.cursor())) {
    if (item.kind === 'changes') {
      state.applyRemote(item.changes);
      for (const c of item.changes) if (c.type === 'changed') seen.add(c.entry.path);
    } else {
      state.finishFeed(item.full, seen, item.cursor);
      return { tokenRefused: item.tokenRefused, unreadable: item.unreadable };
    }
  }
  return { tokenRefused: false, unreadable: [] };
}

async function checkLocalRoot(dir: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new SyncRefused(`${dir} does not exist or is not a folder: refusing to sync (an unmounted drive would look like everything deleted); create it to start`);
}

/** `syncedFileCount`: asked only when there are enough deletions to guard. */
function guardDeletions(actions: readonly Action[], syncedFileCount: () => number, percent: number): void {
  const deletes = actions.filter((a) => (a.type === 'delete-local' || a.type === 'delete-remote') && a.kind === 'file');
  if (percent >= 100 || deletes.length < GUARD_MINIMUM) return;
  const syncedFiles = syncedFileCount();
  if (deletes.length * 100 <= percent * syncedFiles) return;
  const here = deletes.filter((a) => a.type === 'delete-local').length;
  throw new SyncRefused(
    `this pass would delete ${deletes.length} of ${syncedFiles} synced files (${here} here, ${deletes.length - here} on the server), more than ${percent} %: ` +
      'refusing (nothing was changed); check both sides, then run with --max-delete 100 if that is what you want',
  );
}

/** `reports` undefined: a dry run, every action counted as if done. */
function count(actions: readonly Action[], reports: readonly ActionReport[] | undefined): PassCounts {
  const c: PassCounts = { downloaded: 0, uploaded: 0, conflicts: 0, deletedLocal: 0, deletedRemote: 0, folders: 0, moved: 0, deferred: 0, failed: 0, skipped: 0 };
  const outcomes = reports ?? actions.map((action) => ({ action, outcome: 'done' as const }));
  for (const { action, outcome } of outcomes) {
    if (outcome === 'deferred') c.deferred++;
    else if (outcome === 'failed') c.failed++;
    else if (outcome === 'skipped') c.skipped++;
    else if (action.type === 'download') c.downloaded++;
    else if (action.type === 'upload') c.uploaded++;
    else if (action.type === 'conflict') c.conflicts += outcome === 'same' ? 0 : 1;
    else if (action.type === 'delete-local') c.deletedLocal++;
    else if (action.type === 'delete-remote') c.deletedRemote++;
    else if (action.type === 'mkdir-local' || action.type === 'mkdir-remote') c.folders++;
    else if (action.type === 'rename-local' || action.type === 'rename-remote') c.moved++;
    else if (action.type === 'skip') c.skipped++;
  }
  return c;
}

/** `3 down, 1 up, 1 conflict, 2 deleted here, 0 deleted there, 1 folder` — only the non-zero ones, or `nothing to do`. */
export function describeCounts(c: PassCounts): string {
  const parts: string[] = [];
  const add = (n: number, one: string, many = one) => n > 0 && parts.push(`${n} ${n === 1 ? one : many}`);
  add(c.downloaded, 'downloaded');
  add(c.uploaded, 'uploaded');
  add(c.conflicts, 'conflict', 'conflicts');
  add(c.deletedLocal, 'deleted here');
  add(c.deletedRemote, 'deleted on the server');
  add(c.folders, 'folder made', 'folders made');
  add(c.moved, 'moved');
  add(c.deferred, 'deferred to the next pass');
  add(c.failed, 'refused by the server (see above)');
  add(c.skipped, 'not synced (see above)');
  return parts.length === 0 ? 'nothing to do' : parts.join(', ');
}

