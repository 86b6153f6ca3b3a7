/**
 * The lock check of a write (RFC 4918 §6.4, §7, §10.4.1): a write to a
 * member in the scope of a lock must submit that lock's token in the If
 * header, in a list that evaluates true; a DELETE or MOVE of a collection
 * also needs the tokens of the locks below it. Called by
 * `checkPreconditions` with the paths the method writes.
 *
 * An unlocked path costs one `locksCovering` lookup (an index walk over
 * its ancestors), nothing more: the If header is looked at for lock
 * tokens only once a lock is in the way.
 */
import { lockCovers, type ActiveLock, type LockStore } from '@davsync/core';
import { evaluateIf, type IfHeader, type IfResolver } from '@davsync/protocol';

/** What a lock check reads of the store. */
export type LockReader = Pick<LockStore, 'get' | 'locksCovering' | 'locksBelow'>;

/** A path a method writes, and whether it also takes along what is below it (DELETE, MOVE, an overwritten collection). */
export interface LockTarget {
  readonly path: string;
  readonly below?: boolean;
}

/**
 * Locks that one token of a group opens: the locks covering one target
 * (one exclusive, or shared ones: any of their tokens will do), or the
 * locks sharing one root below it.
 */
type LockGroup = readonly ActiveLock[];

/** Our lock tokens are `urn:uuid:` URIs (core `newLockToken`); sync tokens are not, so each is looked up in one place only. */
export const isLockToken = (token: string): boolean => token.toLowerCase().startsWith('urn:uuid:');

/** Whether `token` is a live lock whose scope includes `path` (an If condition on a lock token, RFC 4918 §10.4.1). */
export async function lockTokenHolds(store: LockReader | undefined, path: string | undefined, token: string): Promise<boolean> {
  if (store === undefined || path === undefined) return false;
  const lock = await store.get(token);
  return lock !== undefined && lockCovers(lock, path);
}

/** The groups of locks in the way of writing `targets`; empty when nothing is locked (the usual case). */
export async function locksInTheWay(store: LockReader, targets: readonly LockTarget[]): Promise<LockGroup[]> {
  const groups: LockGroup[] = [];
  for (const target of targets) {
    const covering = await store.locksCovering(target.path);
    if (covering.length > 0) groups.push(covering);
    if (target.below !== true) continue;
    const byRoot = new Map<string, ActiveLock[]>();
    for (const lock of await store.locksBelow(target.path)) {
      const same = byRoot.get(lock.root);
      if (same === undefined) byRoot.set(lock.root, [lock]);
      else same.push(lock);
    }
    groups.push(...byRoot.values());
  }
  return groups;
}

/**
 * The lock tokens the If header submits: those named (not negated) in a
 * list that evaluates true. Each such list is evaluated on its own,
 * through the same `evaluateIf`, so a token in a false list (a wrong ETag
 * beside it, a lock that does not cover the tagged resource) opens nothing.
 */
export async function submittedLockTokens(header: IfHeader, resolver: IfResolver): Promise<Set<string>> {
  const submitted = new Set<string>();
  for (const list of header.lists) {
    const tokens = list.conditions.flatMap((c) => (c.kind === 'token' && !c.not && isLockToken(c.token) ? [c.token] : []));
    if (tokens.length === 0) continue;
    if (await evaluateIf({ lists: [list] }, '', resolver)) for (const t of tokens) submitted.add(t);
  }
  return submitted;
}

/** The roots of the groups none of whose tokens was submitted, each once. */
export function unopenedRoots(groups: readonly LockGroup[], submitted: ReadonlySet<string>): string[] {
  const roots = new Set<string>();
  for (const group of groups) {
    if (group.some((lock) => submitted.has(lock.token))) continue;
    for (const lock of group) roots.add(lock.root);
  }
  return [...roots];
}
