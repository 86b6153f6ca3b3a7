/**
 * A {@link LockStore} in memory: the engine's default. Locks are kept in a
 * tree of path segments (a trie), each node holding the locks rooted at its
 * path, so `locksCovering` walks the path's segments from the root — O(depth)
 * map lookups however many locks are held elsewhere — and `locksBelow` visits
 * only the subtree's nodes. Nodes exist only on the way to a lock and are
 * dropped with their last lock, so memory follows the live locks, which the
 * cap bounds. Expired locks leave through a min-heap by expiry, purged at the
 * start of every call, so nothing scans all locks.
 *
 * Every method runs to completion without an `await` between its check and
 * its change, which is what makes `lock` an atomic check-and-insert here.
 * Forgotten on restart.
 */
import { normalizePath, ROOT } from '../paths';
import { ExpiryQueue } from './expiry-queue';
import {
  checkLockRequest,
  checkTimeout,
  decideLock,
  isLive,
  lockCovers,
  lockSettings,
  refreshedLock,
  type ActiveLock,
  type LockRequest,
  type LockResult,
  type LockSettings,
  type LockStoreOptions,
} from './lock';
import type { LockStore } from './lock-store';

interface Node {
  readonly path: string;
  readonly parent: Node | undefined;
  readonly name: string;
  readonly children: Map<string, Node>;
  /** Locks rooted here, by token. */
  readonly locks: Map<string, ActiveLock>;
}

const newNode = (path: string, parent: Node | undefined, name: string): Node => ({ path, parent, name, children: new Map(), locks: new Map() });

const segments = (path: string): string[] => (path === ROOT ? [] : path.slice(1).split('/'));

/**
 * @example
 * const locks = new MemoryLockStore({ maxLocks: 1000, maxTimeoutSeconds: 600 });
 * const result = await locks.lock({ path: '/docs', scope: 'exclusive', depth: 'infinity', timeout: 300 });
 */
export class MemoryLockStore implements LockStore {
  private readonly settings: LockSettings;
  private readonly root = newNode(ROOT, undefined, '');
  private readonly byToken = new Map<string, { lock: ActiveLock; node: Node }>();
  private readonly expiry = new ExpiryQueue();

  constructor(options: LockStoreOptions = {}) {
    this.settings = lockSettings(options);
  }

  async lock(request: LockRequest): Promise<LockResult> {
    checkLockRequest(request, this.settings);
    this.purge();
    const decided = decideLock(request, this.candidates(request), this.byToken.size, this.settings);
    if (!decided.granted) return decided;
    const lock = decided.lock;
    const node = this.nodeFor(lock.root, true) as Node;
    node.locks.set(lock.token, lock);
    this.byToken.set(lock.token, { lock, node });
    this.expiry.push(lock.token, lock.expires);
    return { granted: true, lock };
  }

  async refresh(token: string, path: string, timeout: number | 'infinite'): Promise<ActiveLock | undefined> {
    checkTimeout(timeout);
    const p = normalizePath(path);
    this.purge();
    const held = this.byToken.get(token);
    const lock = refreshedLock(held?.lock, p, timeout, this.settings, this.settings.now());
    if (held === undefined || lock === undefined) return undefined;
    held.lock = lock;
    held.node.locks.set(token, lock);
    this.expiry.push(token, lock.expires); // the old entry goes stale
    return lock;
  }

  async unlock(token: string, path: string): Promise<boolean> {
    const p = normalizePath(path);
    this.purge();
    const held = this.byToken.get(token);
    if (held === undefined || !lockCovers(held.lock, p)) return false;
    this.drop(token);
    return true;
  }

  async get(token: string): Promise<ActiveLock | undefined> {
    this.purge();
    return this.byToken.get(token)?.lock;
  }

  async locksCovering(path: string): Promise<ActiveLock[]> {
    this.purge();
    return this.covering(normalizePath(path));
  }

  async locksBelow(path: string): Promise<ActiveLock[]> {
    this.purge();
    const node = this.nodeFor(normalizePath(path), false);
    return node === undefined ? [] : this.below(node);
  }

  async removeWithin(path: string): Promise<number> {
    this.purge();
    const node = this.nodeFor(normalizePath(path), false);
    if (node === undefined) return 0;
    const gone = [...node.locks.values(), ...this.below(node)];
    for (const lock of gone) this.drop(lock.token);
    return gone.length;
  }

  async purgeExpired(): Promise<number> {
    return this.purge();
  }

  async count(): Promise<number> {
    this.purge();
    return this.byToken.size;
  }

  now(): number {
    return this.settings.now();
  }

  // ---- internals -------------------------------------------------------------

  /** The live locks a request must not conflict with: those covering its path, and those below it for depth infinity. */
  private candidates(request: LockRequest): ActiveLock[] {
    const covering = this.covering(request.path);
    if (request.depth !== 'infinity') return covering;
    const node = this.nodeFor(request.path, false);
    return node === undefined ? covering : [...covering, ...this.below(node)];
  }

  /** Walks from the root to `path`: depth-infinity locks on the way, every lock at the end. */
  private covering(path: string): ActiveLock[] {
    const out: ActiveLock[] = [];
    let node: Node | undefined = this.root;
    for (const name of segments(path)) {
      for (const lock of node.locks.values()) if (lock.depth === 'infinity') out.push(lock);
      node = node.children.get(name);
      if (node === undefined) return out;
    }
    out.push(...node.locks.values());
    return out;
  }

  /** Every lock rooted strictly below `node`. */
  private below(node: Node): ActiveLock[] {
    const out: ActiveLock[] = [];
    const stack = [...node.children.values()];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      out.push(...n.locks.values());
      stack.push(...n.children.values());
    }
    return out;
  }

  /** The node of `path`, made (with the nodes on the way) when `create`. */
  private nodeFor(path: string, create: boolean): Node | undefined {
    let node = this.root;
    for (const name of segments(path)) {
      let child = node.children.get(name);
      if (child === undefined) {
        if (!create) return undefined;
        child = newNode(node === this.root ? `/${name}` : `${node.path}/${name}`, node, name);
        node.children.set(name, child);
      }
      node = child;
    }
    return node;
  }

  /** Removes a lock and the nodes it alone kept. */
  private drop(token: string): void {
    const held = this.byToken.get(token);
    if (held === undefined) return;
    this.byToken.delete(token);
    held.node.locks.delete(token);
    for (let n: Node = held.node; n.parent !== undefined && n.locks.size === 0 && n.children.size === 0; n = n.parent) {
      n.parent.children.delete(n.name);
    }
  }

  /** Drops the expired locks; the heap's stale entries (refreshed or removed locks) are skipped. */
  private purge(): number {
    const now = this.settings.now();
    let dropped = 0;
    for (const { token, expires } of this.expiry.popExpired(now)) {
      const held = this.byToken.get(token);
      if (held === undefined || held.lock.expires !== expires || isLive(held.lock, now)) continue;
      this.drop(token);
      dropped++;
    }
    // Refreshes leave stale entries behind: keep the heap within twice the live locks.
    if (this.expiry.size > 2 * this.byToken.size + 64) {
      this.expiry.rebuild([...this.byToken].map(([token, { lock }]) => ({ token, expires: lock.expires })));
    }
    return dropped;
  }
}
