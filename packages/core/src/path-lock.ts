/**
 * Tree locks for mutations. A lock on a path conflicts with locks on the same
 * path, its ancestors and its descendants, so a PUT of /a/x and a DELETE of /a
 * never interleave their store operation and journal commit, while writes to
 * unrelated paths run concurrently. Waiters are served in arrival order: a
 * waiter also waits for earlier conflicting waiters, so none starves.
 */
import { isWithin } from './paths';

interface Holder {
  readonly paths: readonly string[];
  readonly grant: () => void;
  granted: boolean;
}

const overlaps = (a: readonly string[], b: readonly string[]): boolean =>
  a.some((x) => b.some((y) => isWithin(x, y) || isWithin(y, x)));

export class PathLock {
  private readonly queue: Holder[] = [];

  /** Runs `fn` while holding locks on all `paths`. */
  async run<T>(paths: readonly string[], fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(paths);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private acquire(paths: readonly string[]): Promise<() => void> {
    return new Promise((resolve) => {
      const holder: Holder = {
        paths,
        granted: false,
        grant: () => resolve(() => this.release(holder)),
      };
      this.queue.push(holder);
      this.dispatch();
    });
  }

  private release(holder: Holder): void {
    const i = this.queue.indexOf(holder);
    if (i >= 0) this.queue.splice(i, 1);
    this.dispatch();
  }

  private dispatch(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const h = this.queue[i] as Holder;
      if (h.granted) continue;
      let blocked = false;
      for (let j = 0; j < i && !blocked; j++) blocked = overlaps((this.queue[j] as Holder).paths, h.paths);
      if (!blocked) {
        h.granted = true;
        h.grant();
      }
    }
  }
}
