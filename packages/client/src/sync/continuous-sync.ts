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
 * more after it. The state stays consistent whatever stops it: a pass
 * records each action as it completes, an abort lets the action under way
 * finish, and kill -9 leaves what the next start resumes from.
 */
import { FolderWatcher } from '../local/folder-watcher';
import { RemoteCollection } from '../remote/remote-collection';
import type { StreamStatus } from '../remote/remote-change-stream';
import { SyncRefused, syncPass, type PassResult, type SyncOptions } from './sync-pass';

/** The longest a burst of events can hold a pass back. */
const MAX_DELAY_MS = 2000;

export type PassTrigger = 'start' | 'local' | 'remote' | 'timer' | 'retry';

export interface ContinuousOptions extends SyncOptions {
  /** Between timed passes (the poll, or the safety net when the server streams its changes). */
  readonly intervalMs: number;
  /** Quiet time a burst of local events needs before its pass. Default 300. */
  readonly debounceMs?: number;
  /** Stops the loop: the pass under way finishes its current action. */
  readonly signal: AbortSignal;
  /** Watch the folder (default true). */
  readonly watch?: boolean;
  /** Listen to the server's change stream when it has one (default true). */
  readonly stream?: boolean;
  readonly onPass: (result: PassResult, trigger: PassTrigger) => void;
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

  const watcher = options.watch === false ? undefined : new FolderWatcher(options.dir, {
    onChange: () => want('local', debounceMs),
    onError: (err, retryMs) => options.onNotice?.(`watching ${options.dir} failed (${err.message}); a full scan after ${Math.round(retryMs / 1000)} s`),
  });
  try {
    watcher?.start();
  } catch (err) {
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
        try {
          options.onPass(await syncPass(options), trigger);
          retryMs = 2000;
        } catch (err) {
          if (err instanceof SyncRefused) throw err; // someone has to look
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
