/**
 * Tokens ordered by expiry time (a binary min-heap), so the memory lock
 * store drops expired locks in O(log n) each instead of scanning them all.
 * Entries are never removed from the middle: a refreshed or unlocked lock
 * leaves a stale entry, which `popExpired` skips (the caller tells which
 * entries are current) and `rebuild` discards when stale ones pile up.
 */
interface Item {
  readonly expires: number;
  readonly token: string;
}

export class ExpiryQueue {
  private heap: Item[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(token: string, expires: number): void {
    const heap = this.heap;
    heap.push({ token, expires });
    let i = heap.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if ((heap[up] as Item).expires <= (heap[i] as Item).expires) break;
      [heap[up], heap[i]] = [heap[i] as Item, heap[up] as Item];
      i = up;
    }
  }

  /** Removes and yields every entry with `expires <= now`, earliest first. */
  *popExpired(now: number): Generator<Item> {
    while (this.heap.length > 0 && (this.heap[0] as Item).expires <= now) yield this.pop();
  }

  /** Replaces the contents with exactly these entries (the current ones). */
  rebuild(items: Iterable<Item>): void {
    this.heap = [];
    for (const item of items) this.push(item.token, item.expires);
  }

  private pop(): Item {
    const heap = this.heap;
    const top = heap[0] as Item;
    const last = heap.pop() as Item;
    if (heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && (heap[l] as Item).expires < (heap[min] as Item).expires) min = l;
      if (r < heap.length && (heap[r] as Item).expires < (heap[min] as Item).expires) min = r;
      if (min === i) return top;
      [heap[min], heap[i]] = [heap[i] as Item, heap[min] as Item];
      i = min;
    }
  }
}
