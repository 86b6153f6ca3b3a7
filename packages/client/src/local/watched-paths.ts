/**
 * The local side of a pass that looks only where the folder watcher said
 * something changed (continuous mode; sync/changed-paths.ts plans it):
 * lstat each reported path, and list everything below a reported folder.
 *
 * A path is looked at through its ancestors: if one of them is no longer a
 * folder (removed, replaced by a file or a symbolic link), that ancestor is
 * what changed, and it is looked at instead — lstat would otherwise follow
 * a link in the middle of a path, and a scan never does.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEntry } from '../sync/entries';
import { outermost } from '../sync/changed-paths';
import { unholdable } from '../sync/planner';
import { STATE_DIR, entryOf, scanLocal } from './local-scan';

export interface WatchedScan {
  /** The outermost paths looked at: everything at and below each is in `entries` if it exists. */
  readonly seeds: readonly string[];
  readonly entries: Map<string, LocalEntry>;
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

/**
 * Whether every reported path can be looked at on its own: relative, normal, not the client's
 * own folder. Anything else (a watcher that reported something odd) makes the pass scan.
 */
export function lookable(paths: readonly string[]): boolean {
  return paths.every((p) => p !== '' && !p.startsWith('/') && (unholdable(p) === undefined || p === STATE_DIR || p.startsWith(`${STATE_DIR}/`)));
}

export async function scanWatched(root: string, paths: readonly string[], maxEntries = 1_000_000): Promise<WatchedScan> {
  const prefix = join(root, '/');
  const isFolder = new Map<string, boolean>();
  const folder = (path: string) => {
    let known = isFolder.get(path);
    if (known === undefined) {
      known = lstatSync(prefix + path, { throwIfNoEntry: false })?.isDirectory() === true;
      isFolder.set(path, known);
    }
    return known;
  };
  const wanted = paths.filter((p) => p !== STATE_DIR && !p.startsWith(`${STATE_DIR}/`)).map((path) => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      if (!folder(ancestor)) return ancestor;
    }
    return path;
  });
  const seeds = outermost(wanted);
  const entries = new Map<string, LocalEntry>();
  const skipped: { path: string; reason: string }[] = [];
  for (const seed of seeds) {
    const st = lstatSync(prefix + seed, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) continue; // gone: the synced entries at and below it are missing here
    const entry = entryOf(seed, st);
    if (entry === undefined) {
      skipped.push({ path: seed, reason: st.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file or folder' });
      continue;
    }
    entries.set(seed, entry);
    if (entry.kind !== 'dir') continue;
    const below = await scanLocal(root, maxEntries - entries.size, seed);
    for (const [p, e] of below.entries) entries.set(p, e);
    skipped.push(...below.skipped);
  }
  return { seeds, entries, skipped };
}
