import { describe, expect, it } from '@jest/globals';
import { MemoryJournal } from '@davsync/core';
import { defineJournalSuite } from '@davsync/core/testing';

defineJournalSuite({ name: 'memory', create: ({ now }) => new MemoryJournal({ now }) });

const put = (path: string) => ({ path, removed: false, collection: false, etag: 'e' });
const del = (path: string) => ({ path, removed: true, collection: false });

describe('MemoryJournal', () => {
  it('reads tombstone ages from the clock it was given', async () => {
    let now = 1000;
    const j = new MemoryJournal({ now: () => now });
    await j.commit([put('/a'), del('/a')]);
    now = 5000;
    await j.commit([put('/b'), del('/b')]);
    expect(await j.prune({ removedBefore: 3000 })).toBe(1);
    expect(await j.get('/a')).toBeUndefined();
    expect(await j.get('/b')).toBeDefined();
  });

  it('counts the paths it tracks, and forgets pruned ones', async () => {
    const j = new MemoryJournal();
    j.commitSync([put('/a'), put('/b'), del('/b')]);
    expect(j.size).toBe(2);
    await j.prune({ maxTombstones: 0 });
    expect(j.size).toBe(1);
  });

  it('refuses a batch with an invalid path before changing anything', () => {
    const j = new MemoryJournal();
    // A relative path has no parent chain ending at the root; indexing it would never terminate.
    expect(() => j.commitSync([put('/a'), put('a')])).toThrow(/member path/);
    expect(j.size).toBe(0);
    expect(j.commitSync([put('/a')])).toBe(1);
  });
});
