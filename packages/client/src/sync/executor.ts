/**
 * Carries out a plan — transfers several at a time, every other action
 * alone — recording each in the state once it is done (transfers in
 * groups, `group-commit.ts`), so a pass killed at any moment resumes
 * without fetching again what it already has, and without mistaking its
 * own half work for a user's change.
 *
 * Nothing is overwritten that changed after the plan was made: remote
 * writes are conditional (a 412 defers the path: the next pass sees the
 * new version and plans a conflict), and a local file is checked against
 * its scanned identity just before it is replaced or removed.
 */
import { rm } from 'node:fs/promises';
import { isRemoteError } from '../remote/remote-error';
import type { RemoteCollection, Written } from '../remote/remote-collection';
import { mayBeRewritten } from '../remote/dav-objects';
import { giveCopyItsOwnUid } from './conflict-uid';
import { checksumsMatch, type RemoteEntry } from '../remote/remote-entry';
import { verifyDownload, type Downloaded } from './verify-download';
import { digestFile } from '../local/file-digests';
import { LocalFolder, sameBytes } from '../local/local-files';
import type { SyncState } from '../state/sync-state';
import { isRacy, localChanged, nowNs, parentOf, type LocalEntry, type SyncedEntry } from './entries';
import { GroupCommit } from './group-commit';
import type { Action } from './planner';
import { deltaDownload } from './delta-download';
import { ChangedWhileSent, deltaUpload } from './delta-upload';

/**
 * How one action ended: `same` is a conflict whose two sides held the same
 * bytes; `failed` is an action the server refused for this path alone (a
 * name it cannot hold, a permission) — reported, and the pass goes on.
 */
export type Outcome = 'done' | 'deferred' | 'skipped' | 'same' | 'failed';

export interface ActionReport {
  readonly action: Action;
  readonly outcome: Outcome;
  /** Why it was deferred or skipped. */
  readonly reason?: string;
}

export interface ExecutorContext {
  readonly remote: RemoteCollection;
  readonly local: LocalFolder;
  readonly state: SyncState;
  /** The trees the plan was made from. */
  readonly localTree: ReadonlyMap<string, LocalEntry>;
  readonly remoteTree: ReadonlyMap<string, RemoteEntry>;
  /** Called after each action (progress). */
  readonly onAction?: (report: ActionReport) => void;
  /** Downloads, uploads, conflicts and folders made at once (default `DEFAULT_TRANSFERS`; 1: one at a time). */
  readonly transfers?: number;
  /** Once aborted, no further action starts (those under way finish and are recorded). */
  readonly signal?: AbortSignal;
  /** The synced collection is an address book or a calendar: a conflict copy gets a UID of its own (see conflict-uid.ts). */
  readonly davCollection?: 'addressbook' | 'calendar';
}

/** Transfers in flight at once by default (`transfers`): enough to hide a round trip and an fsync per file. */
export const DEFAULT_TRANSFERS = 4;

/**
 * Downloads, uploads, conflicts and folders made run up to `transfers` at a time
 * (a folder's members wait for it: actions come top-down, and none starts
 * below a path still in flight); every other action runs alone, after
 * those before it have finished. Their durable end is grouped
 * (`group-commit.ts`). A failure that stops the pass lets the actions under
 * way finish and be recorded, then stops it.
 */
export async function execute(actions: readonly Action[], ctx: ExecutorContext): Promise<ActionReport[]> {
  const reports: ActionReport[] = [];
  const group = new GroupCommit(ctx.state, ctx.local);
  const limit = Math.max(1, ctx.transfers ?? DEFAULT_TRANSFERS);
  const running = new Map<Promise<void>, string>(); // in flight → its path
  const recording = new Set<Promise<void>>(); // finished, waiting for their group's commit
  let stop: { err: unknown } | undefined;

  const report = (r: ActionReport) => {
    reports.push(r);
    try {
      ctx.onAction?.(r);
    } catch (err) {
      stop ??= { err };
    }
  };
  const settle = (action: Action, err: unknown) => {
    const refused = refusal(action, err);
    if (refused === undefined) stop ??= { err };
    else report(refused);
  };
  const attempt = async (action: Action) => {
    try {
      const ran = await run(action, ctx, group);
      if (!('recorded' in ran)) return report(ran);
      const p = ran.recorded.then(report, (err: unknown) => settle(action, err));
      recording.add(p);
      void p.finally(() => recording.delete(p));
    } catch (err) {
      settle(action, err);
    }
  };
  // Everything under way finished, then its group written at once (not after the group's wait), then reported.
  const drain = async () => {
    while (running.size > 0) await Promise.all(running.keys());
    await group.settled();
    while (recording.size > 0) await Promise.all(recording);
  };

  for (const action of actions) {
    if (ctx.signal?.aborted === true || stop !== undefined) break;
    if (!concurrent(action)) {
      await drain();
      if (stop !== undefined) break;
      await attempt(action);
      continue;
    }
    const path = (action as { path: string }).path;
    while (running.size >= limit || [...running.values()].some((p) => path.startsWith(`${p}/`))) await Promise.race(running.keys());
    if (stop !== undefined) break;
    const p = attempt(action);
    running.set(p, path);
    void p.finally(() => running.delete(p));
  }
  await drain();
  if (stop !== undefined) throw stop.err;
  return reports;
}

/**
 * The actions that may run beside others: each touches its own path (a
 * conflict also its copy's, a name no other action has), and its parent
 * folder is made before it starts.
 */
function concurrent(action: Action): boolean {
  return action.type === 'download' || action.type === 'upload' || action.type === 'conflict' || action.type === 'mkdir-local' || action.type === 'mkdir-remote';
}

/** The report of an action the server refused for its path alone, or undefined for a failure that stops the pass. */
function refusal(action: Action, err: unknown): ActionReport | undefined {
  // Someone changed it meanwhile; nothing was overwritten, the next pass plans it again.
  if (isRemoteError(err, 'precondition')) return { action, outcome: 'deferred', reason: 'changed on the server meanwhile (412)' };
  // This path only (a name the server will not take, no permission): the rest of the pass goes on.
  if (isRemoteError(err, 'status') || isRemoteError(err, 'not-found')) return { action, outcome: 'failed', reason: err.message };
  return undefined; // no connection, 401, TLS, a broken answer: the whole pass stops
}

/** An action whose transfer is done and whose record waits for its group's commit. */
type Ran = ActionReport | { readonly recorded: Promise<ActionReport> };

async function run(action: Action, ctx: ExecutorContext, group: GroupCommit): Promise<Ran> {
  const { remote, local, state } = ctx;
  const done: ActionReport = { action, outcome: 'done' };
  switch (action.type) {
    case 'download': {
      if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
      const temp = local.tempFile();
      // Only the changed blocks when the local copy is the previous version of a large file (`delta-download.ts`).
      const got = (await deltaDownload(remote, local, action.path, ctx.remoteTree.get(action.path), temp)) ?? (await remote.download(action.path, temp));
      const unverified = verifyDownload(ctx.remoteTree.get(action.path), got);
      if (unverified !== undefined) {
        await local.discard(temp);
        return unverified.stale ? deferred(action, unverified.reason) : { action, outcome: 'failed', reason: unverified.reason };
      }
      return { recorded: groupInstall(ctx, group, temp, action.path, got).then((installed) => (installed ? done : deferred(action, 'changed here meanwhile'))) };
    }
    case 'upload': {
      const before = await local.stat(action.path);
      if (before === undefined || before.kind !== 'file' || localChanged(ctx.localTree.get(action.path) as SyncedEntry | undefined, before)) {
        return deferred(action, 'changed here meanwhile');
      }
      let written;
      try {
        // Only the changed ranges when the server has the synced version of a large file (`delta-upload.ts`).
        const delta = action.ifMatch === undefined ? undefined : await deltaUpload(remote, local, state, action.path, before.size ?? 0, action.ifMatch);
        written = delta ?? (await remote.upload(action.path, local.abs(action.path), action.ifMatch === undefined ? { ifNoneMatch: '*' } : { ifMatch: action.ifMatch }));
      } catch (err) {
        if (err instanceof ChangedWhileSent) return deferred(action, 'changed here while it was sent');
        // A 400 for a file edited while it was sent: the server found the bytes did not match OC-Checksum and stored nothing.
        if (isRemoteError(err, 'status') && err.status === 400 && (await changedLocally(ctx, action.path))) return deferred(action, 'changed here while it was sent');
        throw err;
      }
      if (mayBeRewritten(action.path) && (await adoptRewrite(ctx, action.path, before, written))) return done;
      // The identity from before the upload: if the file changed while it was read, the next pass sends it again.
      const identity = await trusted(ctx, before, written.sha1);
      // Recorded with its group: a kill before that commit leaves a file present on both sides with no synced row,
      // which the next pass compares by the server's checksums (a hash here, nothing fetched) or, without them, by a download.
      const recorded = group.record(() => {
        state.setSynced({ ...identity, ...(written.etag === undefined ? {} : { etag: written.etag }), ...(written.fileId === undefined ? {} : { fileId: written.fileId }) });
        state.setRemote(action.path, { path: action.path, kind: 'file', ...written, ...(before.size === undefined ? {} : { size: before.size }) });
        state.deltaUploads().forget(action.path);
      });
      return { recorded: recorded.then(() => done) };
    }
    case 'conflict': {
      if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
      const r = ctx.remoteTree.get(action.path);
      if (r?.checksums !== undefined) {
        // The server's checksums say what it holds: equal to this file's, there is no conflict and nothing to fetch.
        const now = await local.stat(action.path);
        const mine = await digestFile(local.abs(action.path));
        if (now !== undefined && !localChanged(ctx.localTree.get(action.path) as SyncedEntry | undefined, now) && checksumsMatch(r.checksums, mine)) {
          // Recorded with its group: a folder synced again from scratch is thousands of these.
          const entry: SyncedEntry = { ...(await trusted(ctx, now, mine.sha1)), ...etagOf(action.etag), ...fileIdOf(r) };
          return { recorded: group.record(() => state.setSynced(entry)).then((): ActionReport => ({ action, outcome: 'same' })) };
        }
      }
      const temp = local.tempFile();
      const got = await remote.download(action.path, temp);
      const unverified = verifyDownload(r, got);
      if (unverified !== undefined) {
        await local.discard(temp);
        return unverified.stale ? deferred(action, unverified.reason) : { action, outcome: 'failed', reason: unverified.reason };
      }
      if (await sameBytes(temp, local.abs(action.path))) {
        // Both sides made the same bytes: nothing to keep twice.
        await local.discard(temp);
        const now = await local.stat(action.path);
        state.setSynced({ ...(await trusted(ctx, now!, got.digests.sha1)), ...etagOf(got.etag ?? action.etag), ...fileIdOf(r) });
        return { action, outcome: 'same' };
      }
      // The local version moves aside (its own name: the next pass uploads it even if this one is cut short), then the remote one takes the name.
      await local.rename(action.path, action.copy);
      await installDownload(ctx, temp, action.path, got);
      if (ctx.davCollection !== undefined && mayBeRewritten(action.copy)) await giveCopyItsOwnUid(local, action.copy);
      const copy = await local.stat(action.copy);
      const written = await remote.upload(action.copy, local.abs(action.copy), { ifNoneMatch: '*' });
      if (mayBeRewritten(action.copy) && (await adoptRewrite(ctx, action.copy, copy!, written))) return done;
      const copyIdentity = await trusted(ctx, copy!, written.sha1);
      state.transaction(() => {
        state.setSynced({ ...copyIdentity, ...etagOf(written.etag), ...(written.fileId === undefined ? {} : { fileId: written.fileId }) });
        state.setRemote(action.copy, { path: action.copy, kind: 'file', ...written });
      });
      return done;
    }
    case 'mkdir-local': {
      // Its parent's fsync comes with the group's, before the record.
      await local.mkdir(action.path, false);
      const now = await local.stat(action.path);
      const fileId = fileIdOf(ctx.remoteTree.get(action.path));
      const recorded = group.record(() => state.setSynced({ path: action.path, kind: 'dir', ...(now?.ino === undefined ? {} : { ino: now.ino }), ...fileId }), [parentOf(action.path)]);
      return { recorded: recorded.then(() => done) };
    }
    case 'mkdir-remote': {
      const written = await remote.mkcol(action.path);
      const ino = ctx.localTree.get(action.path)?.ino;
      const recorded = group.record(() => {
        state.setSynced({ path: action.path, kind: 'dir', ...(ino === undefined ? {} : { ino }) });
        state.setRemote(action.path, { path: action.path, kind: 'dir', ...written });
      });
      return { recorded: recorded.then(() => done) };
    }
    case 'delete-local': {
      if (action.kind === 'file') {
        if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
        await local.unlink(action.path);
      } else if (!(await local.rmdir(action.path))) {
        return deferred(action, 'the folder is not empty');
      }
      state.forgetSynced(action.path);
      return done;
    }
    case 'delete-remote': {
      const dir = action.kind === 'dir';
      if (dir && !(await remote.isEmptyCollection(action.path))) return deferred(action, 'the folder is not empty on the server');
      await remote.remove(action.path, action.ifMatch === undefined ? {} : { ifMatch: action.ifMatch }, dir);
      state.transaction(() => {
        state.forgetSynced(action.path);
        state.setRemote(action.path, undefined);
      });
      return done;
    }
    case 'rename-local': {
      if ((await local.stat(action.to)) !== undefined) return deferred(action, `${action.to} exists here`);
      await local.rename(action.from, action.to);
      state.move('synced', action.from, action.to);
      return done;
    }
    case 'rename-remote': {
      const written = await remote.move(action.from, action.to, action.ifMatch === undefined ? {} : { ifMatch: action.ifMatch }, action.kind === 'dir');
      state.transaction(() => {
        state.move('synced', action.from, action.to);
        state.move('remote', action.from, action.to);
        if (action.kind === 'file' && written.etag !== undefined) {
          const synced = state.synced().get(action.to);
          if (synced !== undefined) state.setSynced({ ...synced, etag: written.etag });
        }
      });
      return done;
    }
    case 'record': {
      const l = ctx.localTree.get(action.path);
      const r = ctx.remoteTree.get(action.path);
      if (l === undefined || r === undefined) state.forgetSynced(action.path);
      else state.setSynced({ ...(await trusted(ctx, l)), ...etagOf(r.etag), ...fileIdOf(r) });
      return done;
    }
    case 'skip':
      return { action, outcome: 'skipped', reason: action.reason };
  }
}

/**
 * After a vCard or iCalendar upload: the member is read back, and if the
 * server stored something other than what was sent (Radicale turns bare
 * LF into CRLF, a server may add a UID or a PRODID), the server's version
 * replaces the local file and is recorded as synced — taking the server's
 * answer as the synced state, so the next pass finds nothing to do rather
 * than a difference the state cannot see (or an upload/download loop).
 * Returns false when the bytes are the same, or the local file changed
 * meanwhile (then the usual record: the next pass uploads the new edit).
 */
async function adoptRewrite(ctx: ExecutorContext, path: string, sent: LocalEntry, written: Written): Promise<boolean> {
  const { remote, local } = ctx;
  const temp = local.tempFile();
  const got = await remote.download(path, temp);
  if (localChanged(sent as SyncedEntry, await local.stat(path)) || (await sameBytes(temp, local.abs(path)))) {
    await rm(temp, { force: true });
    return false;
  }
  // The remote entry without an ETag: installDownload records it with this one, in the same transaction as the file.
  const stored: RemoteEntry = { path, kind: 'file', size: got.size, ...(written.fileId === undefined ? {} : { fileId: written.fileId }) };
  const etag = got.etag ?? written.etag;
  await installDownload({ ...ctx, remoteTree: new Map([[path, stored]]) }, temp, path, { ...got, ...(etag === undefined ? {} : { etag }) });
  return true;
}

function deferred(action: Action, reason: string): ActionReport {
  return { action, outcome: 'deferred', reason };
}

/** Whether the local path differs from what the scan saw (a user's edit during the pass). */
async function changedLocally(ctx: ExecutorContext, path: string): Promise<boolean> {
  const now = await ctx.local.stat(path);
  return localChanged(ctx.localTree.get(path) as SyncedEntry | undefined, now);
}

/**
 * Renames a finished download into place and records it: the identity it
 * will have there is noted first (a rename keeps inode, size and mtime), so
 * a kill between the rename and the record does not make the next pass
 * fetch it again (see `pending` in sync-state.ts). The file gets the
 * server's modification time first: an identity stamped in the past is
 * one a later edit cannot repeat, so it needs no hashing next pass.
 */
async function installDownload(ctx: ExecutorContext, temp: string, path: string, got: Downloaded): Promise<void> {
  const { state, local } = ctx;
  if (got.modified !== undefined) await local.stampModified(temp, got.modified);
  const staged = await local.statAbsolute(temp, path);
  const r = ctx.remoteTree.get(path);
  const etag = got.etag;
  const entry: SyncedEntry = { ...withDigest(staged, got.digests.sha1), ...etagOf(etag), ...fileIdOf(r) };
  state.setPending(entry);
  await local.install(temp, path);
  state.transaction(() => {
    state.commitPending(entry);
    if (r !== undefined && etag !== undefined && r.etag !== etag) state.setRemote(path, { ...r, etag });
  });
}

/** `installDownload` through the group: false when the local file changed since the scan (the download is dropped). */
async function groupInstall(ctx: ExecutorContext, group: GroupCommit, temp: string, path: string, got: Downloaded): Promise<boolean> {
  if (got.modified !== undefined) await ctx.local.stampModified(temp, got.modified);
  const staged = await ctx.local.statAbsolute(temp, path);
  const r = ctx.remoteTree.get(path);
  const etag = got.etag;
  return group.install({
    temp,
    entry: { ...withDigest(staged, got.digests.sha1), ...etagOf(etag), ...fileIdOf(r) },
    unchanged: async () => !(await changedLocally(ctx, path)),
    ...(r !== undefined && etag !== undefined && r.etag !== etag ? { alsoRecord: () => ctx.state.setRemote(path, { ...r, etag }) } : {}),
  });
}

/**
 * The identity to record for a file: with its SHA-1 when it is racy
 * (`isRacy`: too close to now to reveal a same-tick edit), hashing the file
 * when the caller has no digest of it; without one otherwise.
 */
async function trusted(ctx: ExecutorContext, entry: LocalEntry, sha1?: string): Promise<LocalEntry> {
  const { sha1: _old, ...identity } = entry;
  if (!isRacy(identity, nowNs())) return identity;
  return { ...identity, sha1: sha1 ?? (await digestFile(ctx.local.abs(entry.path))).sha1 };
}

function withDigest(entry: LocalEntry, sha1: string): LocalEntry {
  return isRacy(entry, nowNs()) ? { ...entry, sha1 } : entry;
}

function etagOf(etag: string | undefined): { etag?: string } {
  return etag === undefined ? {} : { etag };
}

function fileIdOf(r: RemoteEntry | undefined): { fileId?: string } {
  return r?.fileId === undefined ? {} : { fileId: r.fileId };
}
