/**
 * Tells a continuous sync that something in the folder changed, so a local
 * edit is synced within a moment rather than at the next timed pass.
 * node:fs.watch with `recursive: true` (inotify on Linux, where Node ≥ 20
 * watches new subfolders too; FSEvents on macOS; ReadDirectoryChangesW on
 * Windows). An event's path says where to look: the next pass lstats it
 * (and lists it, if a folder) instead of scanning the whole folder. Its
 * silence about the rest is trusted a little — bounded by continuous-sync.ts's
 * full-scan interval and guarded by the executor's identity checks — so a
 * lost event delays a local change, and never loses one. An event without
 * a path makes the next pass scan. A watcher that fails (too many folders
 * for the inotify limit, the folder replaced) is reported and re-opened with
 * back-off while the timed passes go on (scanning). The client's own
 * `.davsync-client/` is ignored, or every pass would wake the next.
 */
import { watch, type FSWatcher } from 'node:fs';
import { STATE_DIR } from './local-scan';

export interface FolderWatcherHandlers {
  /** Something changed at `path` (relative, may be undefined when the platform does not say). */
  readonly onChange: (path: string | undefined) => void;
  /** The watcher failed; it is re-opened after `retryMs`, and a change is signalled then (what happened meanwhile is unknown). */
  readonly onError?: (err: Error, retryMs: number) => void;
}

export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 1000;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly handlers: FolderWatcherHandlers,
  ) {}

  /** Starts watching; throws when the platform cannot watch recursively at all (the caller polls). */
  start(): void {
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private open(): void {
    const w = watch(this.root, { recursive: true, persistent: false }, (_event, name) => {
      const path = name === null || name === undefined ? undefined : String(name).split(/[\\/]/).join('/');
      if (path !== undefined && (path === STATE_DIR || path.startsWith(`${STATE_DIR}/`))) return;
      this.backoffMs = 1000;
      this.handlers.onChange(path);
    });
    w.on('error', (err) => this.failed(err));
    this.watcher = w;
  }

  private failed(err: Error): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.closed) return;
    const retryMs = this.backoffMs;
    this.backoffMs = Math.min(60_000, this.backoffMs * 2);
    this.handlers.onError?.(err, retryMs);
    this.retry = setTimeout(() => {
      if (this.closed) return;
      try {
        this.open();
        this.handlers.onChange(undefined); // a full scan covers what the gap hid
      } catch (e) {
        this.failed(e as Error);
      }
    }, retryMs);
    this.retry.unref();
  }
}
