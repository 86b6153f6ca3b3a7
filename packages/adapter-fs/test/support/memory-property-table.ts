/**
 * A `PropertyTable` in memory, for the adapter's tests: the SQLite table is
 * another module's business, and these tests are about the filesystem.
 * Every operation is one synchronous step, so patches are atomic.
 */
import { isWithin, rebase } from '@davsync/core';
import type { PropertyTable } from '@davsync/adapter-fs';

export class MemoryPropertyTable implements PropertyTable {
  /** Properties by member path; maps are replaced, never mutated. */
  readonly rows = new Map<string, ReadonlyMap<string, string>>();

  async get(path: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.rows.get(path) ?? []);
  }

  async patch(path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
    const next = new Map(this.rows.get(path));
    for (const name of remove) next.delete(name);
    for (const [name, value] of Object.entries(set)) next.set(name, value);
    if (next.size === 0) this.rows.delete(path);
    else this.rows.set(path, next);
  }

  async copyTree(from: string, to: string): Promise<void> {
    this.#replace(from, to, false);
  }

  async moveTree(from: string, to: string): Promise<void> {
    this.#replace(from, to, true);
  }

  async removeTree(path: string): Promise<void> {
    for (const p of [...this.rows.keys()]) if (isWithin(p, path)) this.rows.delete(p);
  }

  #replace(from: string, to: string, move: boolean): void {
    const taken = [...this.rows].filter(([p]) => isWithin(p, from));
    for (const p of [...this.rows.keys()]) if (isWithin(p, to)) this.rows.delete(p);
    if (move) for (const [p] of taken) this.rows.delete(p);
    for (const [p, props] of taken) this.rows.set(rebase(p, from, to), props);
  }
}
