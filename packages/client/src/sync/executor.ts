/**
 * Carries out a plan, one action at a time, recording each in the state as
 * soon as it is done — so a pass killed at any moment resumes without
 * fetching again what it already has, and without mistaking its own half
 * work for a user's change.
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
import type { RemoteEntry } from '../remote/remote-entry';
import { LocalFolder, sameBytes } from '../local/local-files';
import type { SyncState } from '../state/sync-state';
import { localChanged, type LocalEntry, type SyncedEntry } from './entries';
import type { Action } from './planner';

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
}

export async function execute(actions: readonly Action[], ctx: ExecutorContext): Promise<ActionReport[]> {
  const reports: ActionReport[] = [];
  for (const action of actions) {
    let report: ActionReport;
    try {
      report = await run(action, ctx);
    } catch (err) {
      if (isRemoteError(err, 'precondition')) {
        // Someone changed it meanwhile; nothing was overwritten, the next pass plans it again.
        report = { action, outcome: 'deferred', reason: 'changed on the server meanwhile (412)' };
      } else if (isRemoteError(err, 'status') || isRemoteError(err, 'not-found')) {
        // This path only (a name the server will not take, no permission): the rest of the pass goes on.
        report = { action, outcome: 'failed', reason: err.message };
      } else {
        throw err; // no connection, 401, TLS, a broken answer: the whole pass stops
      }
    }
    reports.push(report);
    ctx.onAction?.(report);
  }
  return reports;
}

async function run(action: Action, ctx: ExecutorContext): Promise<ActionReport> {
  const { remote, local, state } = ctx;
  const done: ActionReport = { action, outcome: 'done' };
  switch (action.type) {
    case 'download': {
      if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
      const temp = local.tempFile();
      const got = await remote.download(action.path, temp);
      if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
      await installDownload(ctx, temp, action.path, got.etag ?? action.etag);
      return done;
    }
    case 'upload': {
      const before = await local.stat(action.path);
      if (before === undefined || before.kind !== 'file' || localChanged(ctx.localTree.get(action.path) as SyncedEntry | undefined, before)) {
        return deferred(action, 'changed here meanwhile');
      }
      const written = await remote.upload(action.path, local.abs(action.path), action.ifMatch === undefined ? { ifNoneMatch: '*' } : { ifMatch: action.ifMatch });
      if (mayBeRewritten(action.path) && (await adoptRewrite(ctx, action.path, before, written))) return done;
      // The identity from before the upload: if the file changed while it was read, the next pass sends it again.
      state.transaction(() => {
        state.setSynced({ ...before, ...(written.etag === undefined ? {} : { etag: written.etag }), ...(written.fileId === undefined ? {} : { fileId: written.fileId }) });
        state.setRemote(action.path, { path: action.path, kind: 'file', ...written, ...(before.size === undefined ? {} : { size: before.size }) });
      });
      return done;
    }
    case 'conflict': {
      if (await changedLocally(ctx, action.path)) return deferred(action, 'changed here meanwhile');
      const temp = local.tempFile();
      const got = await remote.download(action.path, temp);
      if (await sameBytes(temp, local.abs(action.path))) {
        // Both sides made the same bytes: nothing to keep twice.
        const now = await local.stat(action.path);
        state.setSynced({ ...now!, ...etagOf(got.etag ?? action.etag), ...fileIdOf(ctx.remoteTree.get(action.path)) });
        return { action, outcome: 'same' };
      }
      // The local version moves aside (its own name: the next pass uploads it even if this one is cut short), then the remote one takes the name.
      await local.rename(action.path, action.copy);
      await installDownload(ctx, temp, action.path, got.etag ?? action.etag);
      const copy = await local.stat(action.copy);
      const written = await remote.upload(action.copy, local.abs(action.copy), { ifNoneMatch: '*' });
      state.transaction(() => {
        state.setSynced({ ...copy!, ...etagOf(written.etag), ...(written.fileId === undefined ? {} : { fileId: written.fileId }) });
        state.setRemote(action.copy, { path: action.copy, kind: 'file', ...written });
      });
      return done;
    }
    case 'mkdir-local': {
      await local.mkdir(action.path);
      const now = await local.stat(action.path);
      state.setSynced({ path: action.path, kind: 'dir', ...(now?.ino === undefined ? {} : { ino: now.ino }), ...fileIdOf(ctx.remoteTree.get(action.path)) });
      return done;
    }
    case 'mkdir-remote': {
      const written = await remote.mkcol(action.path);
      const ino = ctx.localTree.get(action.path)?.ino;
      state.transaction(() => {
        state.setSynced({ path: action.path, kind: 'dir', ...(ino === undefined ? {} : { ino }) });
        state.setRemote(action.path, { path: action.path, kind: 'dir', ...written });
      });
      return done;
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
      else state.setSynced({ ...l, ...etagOf(r.etag), ...fileIdOf(r) });
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
  await installDownload({ ...ctx, remoteTree: new Map([[path, stored]]) }, temp, path, got.etag ?? written.etag);
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
 * fetch it again (see `pending` in sync-state.ts).
 */
async function installDownload(ctx: ExecutorContext, temp: string, path: string, etag: string | undefined): Promise<void> {
  const { state, local } = ctx;
  const staged = await local.statAbsolute(temp, path);
  const r = ctx.remoteTree.get(path);
  const entry: SyncedEntry = { ...staged, ...etagOf(etag), ...fileIdOf(r) };
  state.setPending(entry);
  await local.install(temp, path);
  state.transaction(() => {
    state.commitPending(entry);
    if (r !== undefined && etag !== undefined && r.etag !== etag) state.setRemote(path, { ...r, etag });
  });
}

function etagOf(etag: string | undefined): { etag?: string } {
  return etag === undefined ? {} : { etag };
}

function fileIdOf(r: RemoteEntry | undefined): { fileId?: string } {
  return r?.fileId === undefined ? {} : { fileId: r.fileId };
}
