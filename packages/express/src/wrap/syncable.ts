/**
 * Which collections davsync answers sync for in wrap mode: a collection
 * the journal knows, inside a tracked collection the journal knows — which
 * a host that gave `list` gets adopted on first use.
 */
import type { JournalStore } from '@davsync/core';
import type { Adopter } from './adopt';
import type { ResolvedWrapOptions } from './options';
import type { TrackedCollections } from './tracked';

export class SyncableCollections {
  constructor(
    private readonly journal: JournalStore,
    readonly tracked: TrackedCollections,
    private readonly adopter: Adopter,
    /** The host's `list`, when it gave one: adopts a tracked collection on first use. */
    private readonly list: ResolvedWrapOptions['list'],
  ) {}

  /** True when the tracked collection `root` is in the journal, adopting it through `list` first if it can. */
  async known(root: string): Promise<boolean> {
    if ((await this.journal.collection(root)) !== undefined) return true;
    const list = this.list;
    if (list === undefined) return false;
    return this.adopter.adoptCollection(root, async () => (await list(root)) ?? undefined);
  }

  /** True when davsync answers sync for `path`: a collection the journal knows, in a tracked (and known) collection. */
  async syncable(path: string): Promise<boolean> {
    const root = this.tracked.rootOf(path);
    if (root === undefined || !(await this.known(root))) return false;
    return (await this.journal.collection(path)) !== undefined;
  }
}
