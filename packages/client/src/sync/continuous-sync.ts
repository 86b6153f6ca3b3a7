/**
 * The sync that keeps running (`davsync sync` without `--once`): a pass at
 * start-up (the stat scan covers whatever happened while it was stopped),
 * then a pass whenever something says there is work —
 *
 * - the folder watcher (a local change; events in a burst are gathered for
 *   `debounceMs`, so saving a file is one pass, not ten);
 * - the server's change stream, where it has one (every event, including
 *   the first of each connection, which covers a gap in the stream);
 * - the timer: every `intervalMs` (the only trigger for a server without a
 *   stream; a safety net otherwise);
 *
 * — and never two passes at once: a trigger during a pass asks for one
 * more after it. While the watcher works and names what changed, a pass
 * does not scan the folder (`trustLocal`): it looks only at the paths
 * reported since the previous pass began (and below a reported folder),
 * takes everything else as the state recorded it, and plans only the paths
 * that changed on either side (changed-paths.ts) — an idle poll costs one
 * REPORT, an edit a few lstats, not an lstat of every file. Watchers can
 * miss events (a full inotify queue, a network mount, a platform's
 * coalescing), so a pass still scans at start-up, after a failed pass or a
 * watcher error, for an event without a path or a flood of them, when not
 * watching, after a trusting pass found a local file changed (a deferred
 * action), and at least every `fullScanIntervalMs`. The state stays
 * consistent whatever stops it: a pass
 * records each action as it completes, an abort lets the action under way
 * finish, and kill -9 leaves what the next start resumes from.
 */
import { FolderWatcher, type FolderWatcherHandlers } from '../local/folder-watcher';
import { RemoteCollection } from '../remote/remote-collection';
import type { StreamStatus } from '../remote/remote-change-stream';
import { SyncRefused, syncPass, type PassResult, type SyncOptions } from './sync-pass';

/** A pass scans the folder at least this often, whatever the watcher says: watchers can miss events. */
export const DEFAULT_FULL_SCAN_INTERVAL_MS = 10 * 60_000;

/**
 * Paths the watcher reported are looked at one by one while fewer than this; past it (a big copy
 * into the folder) the next pass scans instead: a listing of everything is then the cheaper way.
 */
const MAX_REPORTED = 10_000;

/** The longest a burst of events can hold a pass back. */
const MAX_DELAY_MS = 2000;

/** What the loop needs of a folder watcher. */
export interface Watcher {
  start(): void;
  close(): void;
}

export type PassTrigger = 'start' | 'local' | 'remote' | 'timer' | 'retry';

export interface ContinuousOptions extends SyncOptions {
  /** Between timed passes (the poll, or the safety net when the server streams its changes). */
  readonly intervalMs: number;
  /** Quiet time a burst of local events needs before its pass. Default 300. */
  readonly debounceMs?: number;
  /** Stops the loop: the pass under way finishes its current action. */
  readonly signal: AbortSignal;
  /** A pass scans the folder at least this often, even with a quiet watcher (default 10 minutes). */
  readonly fullScanIntervalMs?: number;
  /** Watch the folder (default true). */
  readonly watch?: boolean;
  /** Makes the watcher (default: a {@link FolderWatcher}); tests pass one whose events they decide. */
  readonly makeWatcher?: (dir: string, handlers: FolderWatcherHandlers) => Watcher;
  /** Listen to the server's change stream when it has one (default true). */
  readonly stream?: boolean;
  /** `ms`: the pass's wall-clock time, from its start to its end (the debounce before it not included). */
  readonly onPass: (result: PassResult, trigger: PassTrigger, ms: number) => void;
  /** A pass that failed (it is retried); a {@link SyncRefused} ends the loop instead, thrown. */
  readonly onPassError: (err: unknown) => void;
  /** What the watcher and the stream are doing: one line each, for a person. */
  readonly onNotice?: (line: string) => void;
}

export async function syncContinuously(options: ContinuousOptions): Promise<void> {
  const { signal } = options;
  const debounceMs = options.debounceMs ?? 300;
  let wanted: PassTrigger | undefined = 'start';
  let wakeAt = 0; // when a wanted pass may start (debounce)
  let wantedSince = 0;
  let wake: (() => void) | undefined;
  const want = (trigger: PassTrigger, delayMs: number) => {
    const now = Date.now();
    if (wanted === undefined) {
      wanted = trigger;
      wantedSince = now;
      wakeAt = 0;
    }
    // Each event pushes the pass back by the quiet time, but never past MAX_DELAY_MS after the first:
    // a file written without pause (a log) is still synced now and then.
    wakeAt = Math.min(Math.max(wakeAt, now + delayMs), wantedSince + Math.max(MAX_DELAY_MS, delayMs));
    wake?.();
  };

  const fullScanIntervalMs = options.fullScanIntervalMs ?? DEFAULT_FULL_SCAN_INTERVAL_MS;
  // Whether the next pass may take the local side from the state, but for the paths reported meanwhile: set when
  // a pass begins, spoiled by a change the watcher cannot name (or too many to list), an error, a failed pass.
  let watcherQuiet = false;
  let reported = new Set<string>();
  let lastScanAt = 0;
  let watcherDown = false; // between an error and the re-opened watcher's first signal
  const makeWatcher = options.makeWatcher ?? ((dir, handlers) => new FolderWatcher(dir, handlers));
  const watcher = options.watch === false ? undefined : makeWatcher(options.dir, {
    onChange: (path) => {
      if (path === undefined || reported.size >= MAX_REPORTED) watcherQuiet = false;
      else reported.add(path);
      watcherDown = false;
      want('local', debounceMs);
    },
    onError: (err, retryMs) => {
      watcherQuiet = false;
      watcherDown = true;
      options.onNotice?.(`watching ${options.dir} failed (${err.message}); a full scan after ${Math.round(retryMs / 1000)} s`);
    },
  });
  let watching = watcher !== undefined;
  try {
    watcher?.start();
  } catch (err) {
    watching = false;
    options.onNotice?.(`cannot watch ${options.dir} (${(err as Error).message}): local changes are found by the timed passes`);
  }
  const streamDone = options.stream === false ? Promise.resolve() : listenToServer(options, () => want('remote', 50));
  const stop = () => wake?.();
  signal.addEventListener('abort', stop);
  try {
    let nextTimed = Date.now() + options.intervalMs;
    let retryMs = 2000; // after a failed pass (the server down): sooner than the interval, doubling up to it
    while (!signal.aborted) {
      const now = Date.now();
      if (wanted !== undefined && now >= wakeAt) {
        const trigger = wanted;
        wanted = undefined;
        const trustLocal = watching && !watcherDown && watcherQuiet && Date.now() - lastScanAt < fullScanIntervalMs;
        // Events from here on (this pass's own writes included) are looked at by the next pass.
        const localChanges = [...reported];
        reported = new Set();
        watcherQuiet = true;
        const startedAt = Date.now();
        try {
          const result = await syncPass({ ...options, trustLocal, ...(trustLocal ? { localChanges } : {}) });
          if (result.scanned) lastScanAt = startedAt;
          // A trusting pass that found a local file not as recorded (the watcher missed it): scan now.
          else if (result.counts.deferred > 0) {
            watcherQuiet = false;
            want('retry', 0);
          }
          options.onPass(result, trigger, Date.now() - startedAt);
          retryMs = 2000;
        } catch (err) {
          if (err instanceof SyncRefused) throw err; // someone has to look
          watcherQuiet = false; // what the failed pass left half done is found by a scan
          options.onPassError(err);
          if (!signal.aborted) want('retry', Math.min(retryMs, options.intervalMs));
          retryMs = Math.min(retryMs * 2, options.intervalMs);
        }
        nextTimed = Date.now() + options.intervalMs;
        continue;
      }
      if (wanted === undefined && now >= nextTimed) {
        want('timer', 0);
        continue;
      }
      const until = wanted !== undefined ? wakeAt : nextTimed;
      await new Promise<void>((resolve) => {
        // Referenced: this timer is what keeps the process alive between passes.
        const timer = setTimeout(done, Math.max(0, until - Date.now()));
        wake = done;
        if (signal.aborted) done();
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
      });
    }
  } finally {
    signal.removeEventListener('abort', stop);
    watcher?.close();
    await streamDone;
  }
}


/** The change stream, for as long as the loop runs; notices when it connects, drops, or does not exist. */
async function listenToServer(options: ContinuousOptions, onChange: () => void): Promise<void> {
  const remote = new RemoteCollection(options);
  let last: StreamStatus['state'] | undefined;
  const seconds = Math.round(options.intervalMs / 1000);
  try {
    // Resolves when stopped, or at once when the server has no stream (said through onStatus): the timer then polls.
    await remote.changeStream().listen(
      {
        onToken: onChange,
        onStatus: (status) => {
          if (status.state === last && status.state !== 'retrying') return;
          last = status.state;
          if (status.state === 'connected') options.onNotice?.("listening to the server's change stream");
          else if (status.state === 'retrying') options.onNotice?.(`${status.why}; trying again in ${Math.round(status.retryMs / 1000)} s (polling every ${seconds} s meanwhile)`);
          else options.onNotice?.(`the server has no change stream (${status.why}): polling every ${seconds} s`);
        },
      },
      options.signal,
    );
  } catch (err) {
    options.onNotice?.(`the change stream failed: ${(err as Error).message}; polling every ${seconds} s`);
  }
}
