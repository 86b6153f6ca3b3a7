/**
 * Notices changes other programs make under the root while davsync runs.
 *
 * One `fs.watch` per directory (inotify reports creations, deletions and
 * writes of a directory's entries on the directory's own watch), so the cost
 * is one watch per directory, not per file — Node's recursive mode spends one
 * per file. A new directory gets its watch when it appears; a vanished one
 * loses it; a watcher error (a folder removed mid-scan) closes that watch and
 * reports its directory as changed instead of crashing the process. When the
 * system's watch limit is reached, the directories past it are not watched
 * and the caller's periodic reconcile is the backstop (`onLimit` tells it).
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { childPath, isWithin, ROOT } from '@davsync/core';

export interface TreeWatcherOptions {
  /** Real path of the root directory. */
  readonly root: string;
  /** Member paths never to watch or report (the state directory). */
  readonly ignore: (memberPath: string) => boolean;
  /** Something at this member path may have changed. */
  readonly onChange: (memberPath: string) => void;
  /** The watch limit was reached (ENOSPC/EMFILE): some directories are not watched. */
  readonly onLimit?: (err: NodeJS.ErrnoException) => void;
}

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;
  private limited = false;

  constructor(private readonly options: TreeWatcherOptions) {}

  /** Watches every directory under the root. */
  async start(): Promise<void> {
    await this.watchTree(ROOT);
  }

  /** Number of directories watched. */
  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private realPath(memberPath: string): string {
    return memberPath === ROOT ? this.options.root : join(this.options.root, memberPath);
  }

  private async watchTree(dir: string): Promise<void> {
    if (this.closed || this.options.ignore(dir) || this.watchers.has(dir)) return;
    if (!this.watchDir(dir)) return;
    let handle;
    try {
      handle = await opendir(this.realPath(dir));
    } catch {
      this.unwatch(dir); // gone already
      return;
    }
    for await (const entry of handle) {
      // Symlinks are never followed (they are invisible to davsync anyway).
      if (entry.isDirectory()) await this.watchTree(childPath(dir, entry.name));
    }
  }

  private watchDir(dir: string): boolean {
    if (this.limited) return false;
    let watcher: FSWatcher;
    try {
      watcher = watch(this.realPath(dir), { persistent: false }, (event, filename) => this.onEvent(dir, event, filename));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOSPC' || e.code === 'EMFILE') {
        this.limited = true;
        this.options.onLimit?.(e);
      }
      return false;
    }
    watcher.on('error', () => {
      // The directory went away (or its watch broke): stop watching it and
      // let a refresh of the directory find out what happened.
      this.unwatch(dir);
      this.options.onChange(dir);
    });
    this.watchers.set(dir, watcher);
    return true;
  }

  private onEvent(dir: string, event: string, filename: string | Buffer | null): void {
    if (this.closed) return;
    if (filename === null) {
      this.options.onChange(dir);
      return;
    }
    const path = childPath(dir, filename.toString());
    if (this.options.ignore(path)) return;
    this.options.onChange(path);
    if (event !== 'rename') return; // content changed: no directory came or went
    // An entry appeared, vanished or was replaced. Drop any watch below it
    // (the directory there now may be a different one, e.g. a folder that
    // replaced a file or another folder of the same name) and watch what is
    // there now; the refresh of `path` walks whatever it already holds.
    this.unwatch(path);
    void lstat(this.realPath(path)).then(
      (st) => (st.isDirectory() ? this.watchTree(path) : undefined),
      () => undefined,
    );
  }

  private unwatch(path: string): void {
    for (const [dir, w] of this.watchers) {
      if (isWithin(dir, path)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
  }
}
