/**
 * Keeps `If: <collection> (<sync-token>)` honest in wrap mode (RFC 6578 §5:
 * the request succeeds only if the collection is still at that token).
 *
 * davsync checks the token, then the host performs the write, then the
 * capture records it. Between the check and the write, another write to the
 * same collection could already be at the host but not yet in the journal,
 * and the token would look current when it is not. So every captured write
 * holds a *shared* claim on the paths it changes from before the host sees
 * it until its change is recorded, and a request whose If header names a
 * sync token holds an *exclusive* claim on the collections it names while
 * it is checked, performed and recorded. Shared claims never wait for each
 * other, so writes without sync-token preconditions run as concurrently as
 * before. Claims are on subtrees: a claim on `/a` conflicts with one on
 * `/a/b`. Waiters are served in arrival order, so no one starves.
 */
import { isWithin } from '@davsync/core';

export interface GateClaim {
  readonly path: string;
  readonly mode: 'shared' | 'exclusive';
}

interface Entry {
  readonly claims: readonly GateClaim[];
  granted: boolean;
  grant(): void;
}

const related = (a: string, b: string): boolean => isWithin(a, b) || isWithin(b, a);

function conflicts(a: readonly GateClaim[], b: readonly GateClaim[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if ((x.mode === 'exclusive' || y.mode === 'exclusive') && related(x.path, y.path)) return true;
    }
  }
  return false;
}

export class CollectionGate {
  private queue: Entry[] = [];

  /**
   * Waits until the claims can be granted; resolves with the release
   * function, or with `undefined` after `timeoutMs` (nothing is held then).
   */
  enter(claims: readonly GateClaim[], timeoutMs: number): Promise<(() => void) | undefined> {
    if (claims.length === 0) return Promise.resolve(() => undefined);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const entry: Entry = {
        claims,
        granted: false,
        grant: () => {
          if (timer !== undefined) clearTimeout(timer);
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.remove(entry);
          });
        },
      };
      this.queue.push(entry);
      this.pump();
      if (!entry.granted) {
        timer = setTimeout(() => {
          if (entry.granted) return;
          this.remove(entry);
          resolve(undefined);
        }, timeoutMs);
      }
    });
  }

  /** Number of claim sets held or waiting (for tests). */
  get size(): number {
    return this.queue.length;
  }

  private remove(entry: Entry): void {
    this.queue = this.queue.filter((e) => e !== entry);
    this.pump();
  }

  /** Grants every waiter that conflicts with nothing before it in the queue. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const entry = this.queue[i] as Entry;
      if (entry.granted) continue;
      let blocked = false;
      for (let j = 0; j < i && !blocked; j++) blocked = conflicts((this.queue[j] as Entry).claims, entry.claims);
      if (!blocked) {
        entry.granted = true;
        entry.grant();
      }
    }
  }
}
