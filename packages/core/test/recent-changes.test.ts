import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MemoryJournal, type JournalEntry, type JournalStore, type RecentChange, type SyncLevel } from '@davsync/core';
import { newestEntries } from '../src/recent';
import { dir, file, gone, journalEngine } from './helpers';

const brief = (c: RecentChange): string => `${c.revision} ${c.type} ${c.path}${c.collection ? '/' : ''}`;

/** A journal that counts the entries its scans yield. */
function countingJournal(): { journal: JournalStore; read: () => number; scans: () => number; reset: () => void } {
  const inner = new MemoryJournal();
  let read = 0;
  let scans = 0;
  const journal: JournalStore = {
    commit: (c) => inner.commit(c),
    get: (p) => inner.get(p),
    collection: (p) => inner.collection(p),
    prune: (r) => inner.prune(r),
    tombstoneCount: () => inner.tombstoneCount(),
    async *scan(collection, level, after, through) {
      scans++;
      for await (const batch of inner.scan(collection, level, after, through)) {
        read += batch.length;
        yield batch;
      }
    },
  };
  return {
    journal,
    read: () => read,
    scans: () => scans,
    reset: () => {
      read = 0;
      scans = 0;
    },
  };
}

describe('SyncEngine.recentChanges', () => {
  it('lists the newest changes first, each path once with its latest state', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1'), file('/b', '1'), file('/a', '2'), dir('/d'), gone('/b')]);
    const recent = await e.recentChanges('/');
    expect(recent?.changes.map(brief)).toEqual(['5 removed /b', '4 changed /d/', '3 changed /a']);
    expect(recent?.changes[2]).toEqual({ type: 'changed', path: '/a', collection: false, etag: '2', revision: 3 });
    expect(recent?.changes[0]?.etag).toBe('');
  });

  it('returns the current token with the changes', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1')]);
    expect((await e.recentChanges('/'))?.token).toBe(await e.currentToken('/'));
    expect((await e.recentChanges('/'))?.token).toBe((await e.changes('/', null, { level: 1 })).token);
  });

  it('keeps to the limit', async () => {
    const e = journalEngine();
    await e.record(Array.from({ length: 30 }, (_, i) => file(`/f${i}`, 'x')));
    const recent = await e.recentChanges('/', { limit: 3 });
    expect(recent?.changes.map(brief)).toEqual(['30 changed /f29', '29 changed /f28', '28 changed /f27']);
    expect((await e.recentChanges('/'))?.changes).toHaveLength(20);
  });

  it('keeps to the scope: direct members at level 1, descendants at infinite, nothing outside', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), file('/c/a', '1'), dir('/c/d'), file('/c/d/x', '1'), file('/y', '1'), file('/c/b', '1')]);
    expect((await e.recentChanges('/c'))?.changes.map(brief)).toEqual(['6 changed /c/b', '3 changed /c/d/', '2 changed /c/a']);
    expect((await e.recentChanges('/c', { level: 'infinite' }))?.changes.map(brief)).toEqual([
      '6 changed /c/b',
      '4 changed /c/d/x',
      '3 changed /c/d/',
      '2 changed /c/a',
    ]);
  });

  it('leaves out what happened to an earlier incarnation of the collection', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), file('/c/old', '1'), gone('/c', true), dir('/c'), file('/c/new', '1')]);
    expect((await e.recentChanges('/c'))?.changes.map((c) => `${c.type} ${c.path}`)).toEqual(['changed /c/new']);
  });

  it('answers undefined for a file or a path the journal does not know', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1')]);
    expect(await e.recentChanges('/a')).toBeUndefined();
    expect(await e.recentChanges('/nowhere')).toBeUndefined();
  });

  it('refuses a limit that is not a positive integer and an unknown level', async () => {
    const e = journalEngine();
    for (const limit of [0, -1, 1.5, Number.NaN]) await expect(e.recentChanges('/', { limit })).rejects.toThrow(TypeError);
    await expect(e.recentChanges('/', { level: 2 as unknown as SyncLevel })).rejects.toThrow(TypeError);
  });

  it('finds old changes of a quiet collection behind much newer activity elsewhere, in few scans', async () => {
    const { journal, scans, reset } = countingJournal();
    const e = journalEngine({ journal });
    await e.record([dir('/quiet'), file('/quiet/a', '1'), dir('/busy')]);
    await e.record(Array.from({ length: 50_000 }, (_, i) => file(`/busy/f${i % 700}`, String(i))));
    reset();
    expect((await e.recentChanges('/quiet'))?.changes.map(brief)).toEqual(['2 changed /quiet/a']);
    // Windows double: 64, 128, … reach revision 1 after about log2(50 000 / 64) + 1 scans.
    expect(scans()).toBeLessThanOrEqual(11);
  });

  it('reads only a window near the top of a long history, not the whole history', async () => {
    const { journal, read, reset } = countingJournal();
    const e = journalEngine({ journal });
    await e.record(Array.from({ length: 10_000 }, (_, i) => file(`/f${i}`, 'x')));
    reset();
    const recent = await e.recentChanges('/', { limit: 20 });
    expect(recent?.changes).toHaveLength(20);
    expect(recent?.changes[0]?.path).toBe('/f9999');
    expect(read()).toBeLessThanOrEqual(64);
  });

  it('matches the newest entries of a full scan, for any history (property)', async () => {
    const name = fc.constantFrom('/a', '/b', '/c', '/c/x', '/c/y', '/c/d', '/c/d/z', '/e', '/e/w');
    const op = fc.oneof(
      name.map((p) => ({ kind: 'put' as const, p })),
      name.map((p) => ({ kind: 'del' as const, p })),
      fc.constantFrom('/c', '/c/d', '/e').map((p) => ({ kind: 'mkdir' as const, p })),
      fc.integer({ min: 1, max: 150 }).map((n) => ({ kind: 'noise' as const, n })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom<SyncLevel>(1, 'infinite'),
        fc.constantFrom('/', '/c', '/c/d', '/e'),
        fc.integer({ min: 1, max: 8 }),
        async (ops, limit, level, collection, firstWindow) => {
          const journal = new MemoryJournal();
          const e = journalEngine({ journal });
          await e.record([dir('/c'), dir('/e'), dir('/noise')]);
          for (const o of ops) {
            if (o.kind === 'put') await e.record([file(o.p, String(Math.random()))]);
            else if (o.kind === 'mkdir') await e.record([dir(o.p)]);
            else if (o.kind === 'del') await e.record([gone(o.p, (await journal.get(o.p))?.collection ?? false)]);
            else await e.record(Array.from({ length: o.n }, (_, i) => file(`/noise/n${i % 40}`, String(i))));
          }
          const state = await journal.collection(collection);
          const recent = await e.recentChanges(collection, { limit, level });
          if (state === undefined) {
            expect(recent).toBeUndefined();
            return;
          }
          const all: JournalEntry[] = [];
          for await (const b of journal.scan(collection, level, state.createdRevision, state.currentRevision)) all.push(...b);
          const expected = all.slice(-limit).reverse().map((x) => `${x.revision} ${x.removed ? 'removed' : 'changed'} ${x.path}`);
          expect(recent?.changes.map((c) => `${c.revision} ${c.type} ${c.path}`)).toEqual(expected);
          // Narrow first windows put window edges everywhere.
          const narrow = await newestEntries(journal, collection, level, limit, state.createdRevision, state.currentRevision, firstWindow);
          expect(narrow.map((x) => `${x.revision} ${x.removed ? 'removed' : 'changed'} ${x.path}`)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
