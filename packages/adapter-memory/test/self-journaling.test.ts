/**
 * The engine's contract with a self-journaling adapter (one that records its
 * mutations in its own journal, `recordsChangesIn`, like a database store):
 * the engine must not record them again, must be given exactly that journal
 * (the one way a store supplies its journal), and must refuse another.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MemoryJournal, SyncEngine, parseSyncToken, type ByteStream, type StorageAdapter, type WriteOptions } from '@davsync/core';
import { MemoryAdapter } from '../src';

/** A memory adapter that journals its own writes, mkcols and removals. */
function selfJournaling(): StorageAdapter & { recordsChangesIn: MemoryJournal } {
  const inner = new MemoryAdapter();
  const journal = new MemoryJournal();
  return {
    recordsChangesIn: journal,
    stat: (p) => inner.stat(p),
    list: (p) => inner.list(p),
    read: (p, r) => inner.read(p, r),
    async write(p: string, body: ByteStream, o?: WriteOptions) {
      const entry = await inner.write(p, body, o);
      await journal.commit([{ path: p, removed: false, collection: false, etag: entry.etag }]);
      return entry;
    },
    async mkcol(p: string) {
      const entry = await inner.mkcol(p);
      await journal.commit([{ path: p, removed: false, collection: true, etag: entry.etag }]);
      return entry;
    },
    async remove(p: string) {
      const before = await inner.stat(p);
      await inner.remove(p);
      await journal.commit([{ path: p, removed: true, collection: before?.collection ?? false }]);
    },
    copy: (a, b, o) => inner.copy(a, b, o),
    move: (a, b, o) => inner.move(a, b, o),
  };
}

const revisionOf = (token: string): number => parseSyncToken(token)!.revision;

describe('engine over a self-journaling adapter', () => {
  it('uses the adapter journal and records each mutation exactly once', async () => {
    const adapter = selfJournaling();
    const engine = new SyncEngine({ adapter, journal: adapter.recordsChangesIn });
    expect(engine.journal).toBe(adapter.recordsChangesIn);
    const start = revisionOf((await engine.currentToken('/'))!);
    await engine.write('/a.txt', Readable.from(['a']));
    await engine.mkcol('/d');
    await engine.write('/d/b.txt', Readable.from(['b']));
    // Three mutations, three revisions: the engine added none of its own.
    expect(revisionOf((await engine.currentToken('/'))!)).toBe(start + 3);
    const all = await engine.changes('/', null, { level: 'infinite' });
    expect(all.changes.map((c) => `${c.type} ${c.path}`).sort()).toEqual(['changed /a.txt', 'changed /d', 'changed /d/b.txt']);
    await engine.remove('/a.txt');
    const delta = await engine.changes('/', all.token, { level: 'infinite' });
    expect(delta.changes.map((c) => `${c.type} ${c.path}`)).toEqual(['removed /a.txt']);
  });

  it('records nothing when the adapter refuses the mutation', async () => {
    const adapter = selfJournaling();
    const engine = new SyncEngine({ adapter, journal: adapter.recordsChangesIn });
    const before = await engine.currentToken('/');
    await expect(engine.write('/missing/x.txt', Readable.from(['x']))).rejects.toMatchObject({ code: 'conflict' });
    expect(await engine.currentToken('/')).toBe(before);
  });

  it('refuses a second journal, which would split the history, and a missing one', () => {
    expect(() => new SyncEngine({ adapter: selfJournaling(), journal: new MemoryJournal() })).toThrow(/keeps its own journal/);
    expect(() => new SyncEngine({ adapter: selfJournaling() })).toThrow(/keeps its own journal/);
  });

  it('tells change listeners about the mutations the adapter journaled itself', async () => {
    const adapter = selfJournaling();
    const engine = new SyncEngine({ adapter, journal: adapter.recordsChangesIn });
    const seen: Array<{ revision: number; paths: readonly string[] }> = [];
    engine.log.onChange(({ revision, paths }) => seen.push({ revision, paths }));
    await engine.mkcol('/d');
    await engine.write('/d/a.txt', Readable.from(['a']));
    const head = revisionOf((await engine.currentToken('/'))!);
    expect(seen).toEqual([
      { revision: head - 1, paths: ['/d'] },
      { revision: head, paths: ['/d/a.txt'] },
    ]);
  });
});
