/**
 * The durable end of many small actions, done for a group at once: the
 * executor hands over finished downloads (to be renamed into place) and
 * the state updates of finished actions, and each group costs one SQLite
 * commit to note the downloads, the renames, one fsync per folder they
 * touched, and one commit to record everything — instead of two commits
 * and a folder fsync per file, which were most of a first sync's time
 * (docs/performance.md, "Sync client").
 *
 * What a kill at any moment leaves is what the per-file path left:
 * - before the first commit: temporary files only (cleared next pass, the
 *   files fetched again — they were never in place);
 * - between the two commits: every download of the group noted in
 *   `pending` with the identity it has in place (a rename keeps inode,
 *   size and mtime), so the next pass adopts each one that was renamed and
 *   still has that identity, and drops the others (`resolvePending`);
 * - after the second: all recorded.
 * An action is reported (progress, `onAction`) only once it is recorded.
 *
 * A group is written when it holds `GROUP_SIZE` actions, `GROUP_WAIT_MS`
 * after its first one arrived, or when the executor needs everything
 * written (`settled`, before an action that must run alone, and at the
 * end); whatever arrives while one is being written makes up the next. The
 * transfers do not wait for it: only their reports do.
 */
import type { LocalFolder } from '../local/local-files';
import type { SyncState } from '../state/sync-state';
import { parentOf, type SyncedEntry } from './entries';

export interface Install {
  /** The finished, fsynced temporary file. */
  readonly temp: string;
  /** Where it goes, and what is recorded as synced once it is there. */
  readonly entry: SyncedEntry;
  /** Checked just before the rename: false (the local file changed since the plan) leaves it out. */
  readonly unchanged: () => Promise<boolean>;
  /** More state to write in the same transaction as the record (a new ETag). */
  readonly alsoRecord?: () => void;
}

interface Waiting<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (err: unknown) => void;
}

type Item = ({ kind: 'install'; install: Install } & Waiting<boolean>) | ({ kind: 'record'; record: () => void; folders: readonly string[] } & Waiting<void>);

/** Actions in a group: a few commits per second at most, each bounding the progress lines held back. */
const GROUP_SIZE = 200;
/** How long the first action of a group waits for others (its progress line waits as long). */
const GROUP_WAIT_MS = 200;

export class GroupCommit {
  private queue: Item[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: SyncState,
    private readonly local: LocalFolder,
  ) {}

  /** Renames a finished download into place and records it; false when the local file changed meanwhile (the download is dropped). */
  install(install: Install): Promise<boolean> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'install', install, resolve, reject }));
  }

  /** Writes `record` to the state in the next group's transaction, after fsyncing `folders` (relative paths) if any. */
  record(record: () => void, folders: readonly string[] = []): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'record', record, folders, resolve, reject }));
  }

  /** Writes everything handed over so far, now; resolves once it is written (or refused). */
  async settled(): Promise<void> {
    this.startWriting();
    while (this.writing !== undefined) await this.writing;
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (this.queue.length >= GROUP_SIZE) this.startWriting();
    else this.timer ??= setTimeout(() => this.startWriting(), GROUP_WAIT_MS);
  }

  private startWriting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing === undefined && this.queue.length > 0) this.writing = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      // What arrives meanwhile waits for the next group, or for its own timer when fewer than a group.
      while (this.queue.length >= GROUP_SIZE || (this.queue.length > 0 && this.timer === undefined)) await this.write(this.queue.splice(0, GROUP_SIZE));
    } finally {
      this.writing = undefined;
    }
  }

  private async write(group: Item[]): Promise<void> {
    const installs = group.filter((i): i is Extract<Item, { kind: 'install' }> => i.kind === 'install');
    const records = group.filter((i): i is Extract<Item, { kind: 'record' }> => i.kind === 'record');
    const failed = new Map<Item, unknown>();
    const placed = new Set<Item>();
    try {
      // 1. Noted before any rename: a kill after a rename finds its row.
      if (installs.length > 0) this.state.transaction(() => installs.forEach((i) => this.state.setPending(i.install.entry)));
      // 2. Each checked against the scan at the last moment, then renamed (not yet durable).
      await Promise.all(
        installs.map(async (i) => {
          try {
            if (!(await i.install.unchanged())) return void (await this.local.discard(i.install.temp));
            await this.local.place(i.install.temp, i.install.entry.path);
            placed.add(i);
          } catch (err) {
            failed.set(i, err);
          }
        }),
      );
      // 3. The renames (and folders made) made durable, one fsync per folder.
      const folders = [...installs.filter((i) => placed.has(i)).map((i) => parentOf(i.install.entry.path)), ...records.flatMap((r) => r.folders)];
      await this.local.syncFolders(folders);
      // 4. One transaction records the group; each item in a savepoint of its own, so one that fails alone is undone alone.
      this.state.transaction(() => {
        for (const i of installs) {
          try {
            if (!placed.has(i)) this.state.dropPending(i.install.entry.path);
            else
              this.state.transaction(() => {
                this.state.commitPending(i.install.entry);
                i.install.alsoRecord?.();
              });
          } catch (err) {
            failed.set(i, err);
          }
        }
        for (const r of records) {
          try {
            this.state.transaction(r.record);
          } catch (err) {
            failed.set(r, err);
          }
        }
      });
    } catch (err) {
      // A failed commit or folder fsync: nothing of the group is known recorded; `pending` covers what was renamed.
      for (const i of group) if (!failed.has(i)) failed.set(i, err);
    }
    for (const i of installs) (failed.has(i) ? i.reject(failed.get(i)) : i.resolve(placed.has(i)));
    for (const r of records) (failed.has(r) ? r.reject(failed.get(r)) : r.resolve());
  }
}
