/**
 * Collects paths that changed on disk and hands them to the engine in
 * batches: a burst of events (an editor's save, `cp -r` of a thousand files)
 * becomes a few `refresh` calls instead of thousands. Paths inside another
 * pending path are dropped, and a directory with many pending members is
 * refreshed as a whole.
 */
import { isWithin, parentOf } from '@davsync/core';

export interface ChangeQueueOptions {
  /** Called with the minimal set of member paths to re-examine. */
  readonly flush: (paths: string[]) => Promise<void>;
  /** Quiet time before a batch is flushed, in ms. */
  readonly delayMs: number;
  /** More pending members than this in one directory: refresh the directory instead. */
  readonly collapseAbove?: number;
}

export class ChangeQueue {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ChangeQueueOptions) {}

  /** Notes that something at `path` (a member path) may have changed. */
  add(path: string): void {
    if (this.closed) return;
    this.pending.add(path);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flushNow(), this.options.delayMs);
    this.timer.unref?.();
  }

  /** Flushes what is pending now and resolves when every flush so far has finished. */
  flushNow(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const paths = minimal([...this.pending], this.options.collapseAbove ?? 64);
    this.pending = new Set();
    // Flushes run one after another, so two refreshes never race each other.
    this.running = this.running.then(() => (paths.length > 0 ? this.options.flush(paths) : undefined)).catch(() => undefined);
    return this.running;
  }

  /** Stops accepting paths and waits for the flushes already started. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/** Drops paths inside other paths and collapses crowded directories into their parent. */
export function minimal(paths: string[], collapseAbove: number): string[] {
  const byParent = new Map<string, number>();
  for (const p of paths) {
    const parent = parentOf(p);
    if (parent !== undefined) byParent.set(parent, (byParent.get(parent) ?? 0) + 1);
  }
  const widened = paths.map((p) => {
    const parent = parentOf(p);
    return parent !== undefined && (byParent.get(parent) ?? 0) > collapseAbove ? parent : p;
  });
  const sorted = [...new Set(widened)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => isWithin(p, q))) out.push(p);
  return out;
}
