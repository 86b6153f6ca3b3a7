/**
 * Change events of a sync log: after each commit, its listeners learn the
 * revision and what changed, so push notifications can tell a client
 * "collection X has a new token" without polling. Built only when someone
 * listens: a commit with no listener pays one size check.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ancestorsOf } from './paths';

/**
 * What a commit changed (draft-bitfire-webdav-push's two triggers):
 * `content` — members added, removed or rewritten (`content-update`);
 * `property` — only properties of the paths (PROPPATCH, a modification
 * time: `property-update`).
 */
export type ChangeKind = 'content' | 'property';

// The kind travels with the mutation's call chain (as Push-Dont-Notify
// does), so the journal's commit paths need no new parameter.
const currentKind = new AsyncLocalStorage<ChangeKind>();

/** Runs `fn` so that the commits it makes are told as property changes. */
export function asPropertyChange<T>(fn: () => T): T {
  return currentKind.run('property', fn);
}

/** One commit, as listeners see it. */
export interface SyncLogChange {
  /**
   * The revision of the commit's last entry: every token issued from now on
   * for an affected collection is at or past it. For a commit a
   * self-journaling store made itself, the journal's head read just after it.
   */
  readonly revision: number;
  /**
   * The member paths the commit recorded, in order. For a commit a
   * self-journaling store made itself, the paths of the mutation (a
   * removed, copied or moved subtree by its root).
   */
  readonly paths: readonly string[];
  /**
   * The collections whose sync token may have changed: every ancestor of a
   * recorded path (the root included), and each recorded path itself (a
   * collection created there has a token of its own; a member that is not a
   * collection has none, and a push service simply finds no subscriber).
   */
  readonly collections: readonly string[];
  /**
   * What the commit changed. Set on every event a sync log raises; a
   * change source that does not know (another instance's notification)
   * leaves it out, and then a change counts as both kinds.
   */
  readonly kind?: ChangeKind;
}

/** Receives {@link SyncLogChange}s; called synchronously after each commit resolves. */
export type SyncLogListener = (change: SyncLogChange) => void;

export class ChangeEvents {
  private readonly listeners = new Set<SyncLogListener>();

  /** `onError` gets what a listener throws: a listener cannot fail a commit that is already durable. */
  constructor(private readonly onError: (err: unknown) => void) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: SyncLogListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('davsync: onChange takes a function');
    // A wrapper per subscription, so subscribing one function twice gives two independent subscriptions.
    const own: SyncLogListener = (change) => listener(change);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  /** True when someone listens (an event is worth building). */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Tells the listeners about a commit of `changes` (anything with a path); costs nothing when no one listens. */
  emit(revision: number, changes: readonly { readonly path: string }[]): void {
    if (changes.length === 0 || !this.active) return;
    const paths = changes.map((c) => c.path);
    const change: SyncLogChange = { revision, paths, collections: affectedCollections(paths), kind: currentKind.getStore() ?? 'content' };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

/** The collections whose token a change at `paths` may have changed, each once, shallowest first. */
export function affectedCollections(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    for (const a of ancestorsOf(p)) out.add(a);
    out.add(p);
  }
  return [...out].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}
