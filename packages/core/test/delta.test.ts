import { describe, expect, it } from '@jest/globals';
import { isDavError, MemoryJournal, parseSyncToken, type JournalStore, type SyncLevel } from '@davsync/core';
import { dir, file, gone, journalEngine, summary } from './helpers';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('initial synchronization (RFC 6578 §3.4)', () => {
  it('reports every member, collections too, in revision order', async () => {
    const e = journalEngine();
    await e.record([file('/a', 'e1'), dir('/c'), file('/c/x', 'e2'), file('/b', 'e3')]);
    const set = await e.changes('/', null, { level: 1 });
    expect(summary(set)).toEqual(['changed /a e1', 'changed /c/ d', 'changed /b e3']);
    expect(set.truncated).toBe(false);
  });

  it('never reports a removed member', async () => {
    const e = journalEngine();
    await e.record([file('/a', 'e1'), file('/b', 'e2'), gone('/a')]);
    expect(summary(await e.changes('/', null, { level: 1 }))).toEqual(['changed /b e2']);
  });

  it('at level infinite reports all descendants', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), dir('/c/d'), file('/c/d/x', 'e1'), file('/y', 'e2')]);
    expect(summary(await e.changes('/', null, { level: 'infinite' }))).toEqual([
      'changed /c/ d',
      'changed /c/d/ d',
      'changed /c/d/x e1',
      'changed /y e2',
    ]);
  });

  it('returns an empty set and a usable token for an empty collection', async () => {
    const e = journalEngine();
    const set = await e.changes('/', null, { level: 1 });
    expect(set.changes).toEqual([]);
    expect(parseSyncToken(set.token)).toBeDefined();
    expect((await e.changes('/', set.token, { level: 1 })).changes).toEqual([]);
  });
});

describe('subsequent synchronization (RFC 6578 §3.5)', () => {
  it('reports new and changed members as changed and removed ones as removed', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1'), file('/b', '1'), file('/c', '1')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    await e.record([file('/a', '2'), gone('/b'), file('/d', '1')]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['changed /a 2', 'removed /b', 'changed /d 1']);
  });

  it('reports a member created then removed between two syncs as removed', async () => {
    const e = journalEngine();
    const t = (await e.changes('/', null, { level: 1 })).token;
    await e.record([file('/tmp', '1'), gone('/tmp')]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['removed /tmp']);
  });

  it('reports a member removed then re-created as changed, never removed', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    await e.record([gone('/a'), file('/a', '2')]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['changed /a 2']);
  });

  it('reports each member at most once however often it changed', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    for (let i = 2; i < 20; i++) await e.record([file('/a', String(i)), file('/b', String(i))]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['changed /a 19', 'changed /b 19']);
  });

  it('gives an up-to-date client nothing and the same, still valid token', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    const again = await e.changes('/', t, { level: 1 });
    expect(again.changes).toEqual([]);
    expect(again.token).toBe(t);
    expect((await e.changes('/', again.token, { level: 1 })).changes).toEqual([]);
  });

  it('at level 1 reports only direct members', async () => {
    const e = journalEngine();
    await e.record([dir('/c')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    await e.record([file('/c/x', '1'), file('/y', '1')]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['changed /y 1']);
    expect(summary(await e.changes('/', t, { level: 'infinite' }))).toEqual(['changed /c/x 1', 'changed /y 1']);
  });

  it('at level infinite reports a removed collection alone, not its members', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), dir('/c/d'), file('/c/d/x', '1'), file('/c/y', '1')]);
    const t = (await e.changes('/', null, { level: 'infinite' })).token;
    await e.record([file('/c/new', '1'), gone('/c', true)]);
    expect(summary(await e.changes('/', t, { level: 'infinite' }))).toEqual(['removed /c/']);
  });

  it('does not report a member removed before its collection was removed', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), dir('/c/d'), file('/c/d/x', '1'), file('/c/y', '1')]);
    const t = (await e.changes('/', null, { level: 'infinite' })).token;
    await e.record([gone('/c/d/x'), gone('/c/d', true), gone('/c/y'), gone('/c', true)]);
    expect(summary(await e.changes('/', t, { level: 'infinite' }))).toEqual(['removed /c/']);
    // Paging with a limit of 1 still never reports the members.
    expect(summary(await e.changes('/', t, { level: 'infinite', limit: 1 }))).toEqual(['removed /c/']);
  });

  it('reports the members of a collection removed and re-created as removed', async () => {
    const e = journalEngine();
    await e.record([dir('/c'), file('/c/x', '1')]);
    const t = (await e.changes('/', null, { level: 'infinite' })).token;
    await e.record([gone('/c', true), dir('/c', 'd2'), file('/c/y', '1')]);
    expect(summary(await e.changes('/', t, { level: 'infinite' }))).toEqual([
      'removed /c/x',
      'changed /c/ d2',
      'changed /c/y 1',
    ]);
  });

  it('reports a quiet collection unaffected by a busy sibling', async () => {
    const e = journalEngine();
    await e.record([dir('/quiet'), dir('/busy'), file('/quiet/a', '1')]);
    const t = (await e.changes('/quiet', null, { level: 1 })).token;
    for (let i = 0; i < 50; i++) await e.record([file(`/busy/f${i}`, '1')]);
    const set = await e.changes('/quiet', t, { level: 'infinite' });
    expect(set.changes).toEqual([]);
    expect(set.token).toBe(t);
  });
});

describe('truncation and limits (RFC 6578 §3.6, §3.7)', () => {
  it('truncates at the client limit with a token that pages on without gaps or repeats', async () => {
    const e = journalEngine();
    const names = Array.from({ length: 25 }, (_, i) => `/m${i}`);
    await e.record(names.map((p) => file(p, '1')));
    const seen: string[] = [];
    let token: string | null = null;
    for (let page = 0; page < 10; page++) {
      const set = await e.changes('/', token, { level: 1, limit: 10 });
      seen.push(...set.changes.map((c) => c.path));
      token = set.token;
      if (!set.truncated) break;
      expect(set.changes).toHaveLength(10);
    }
    expect(seen).toEqual(names);
  });

  it('does not claim truncation when exactly the limit remains', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1'), file('/b', '1')]);
    const set = await e.changes('/', null, { level: 1, limit: 2 });
    expect(set.changes).toHaveLength(2);
    expect(set.truncated).toBe(false);
  });

  it('applies the server page size when the client sets no limit', async () => {
    const e = journalEngine({ pageSize: 3 });
    await e.record([file('/a', '1'), file('/b', '1'), file('/c', '1'), file('/d', '1')]);
    const set = await e.changes('/', null, { level: 1 });
    expect(set.changes).toHaveLength(3);
    expect(set.truncated).toBe(true);
    expect(summary(await e.changes('/', set.token, { level: 1 }))).toEqual(['changed /d 1']);
  });

  it('uses the smaller of the client limit and the server page size', async () => {
    const e = journalEngine({ pageSize: 3 });
    await e.record([file('/a', '1'), file('/b', '1'), file('/c', '1')]);
    expect((await e.changes('/', null, { level: 1, limit: 2 })).changes).toHaveLength(2);
    expect((await e.changes('/', null, { level: 1, limit: 50 })).changes).toHaveLength(3);
  });

  it('fails a limit it cannot honour with number-of-matches-within-limits', async () => {
    const e = journalEngine();
    expect(isDavError(await rejection(e.changes('/', null, { level: 1, limit: 0 })), 'number-of-matches-within-limits')).toBe(true);
  });

  it('pages through changes made between pages without losing any', async () => {
    const e = journalEngine();
    await e.record([file('/a', '1'), file('/b', '1'), file('/c', '1')]);
    const p1 = await e.changes('/', null, { level: 1, limit: 2 });
    await e.record([file('/a', '2'), gone('/c')]);
    const p2 = await e.changes('/', p1.token, { level: 1, limit: 2 });
    expect(summary(p1)).toEqual(['changed /a 1', 'changed /b 1']);
    expect(summary(p2)).toEqual(['changed /a 2', 'removed /c']);
    expect(p2.truncated).toBe(false);
  });
});

describe('token validation (RFC 6578 §3.2 DAV:valid-sync-token)', () => {
  const invalid = (err: unknown) => isDavError(err, 'invalid-sync-token');

  it('rejects a malformed token', async () => {
    const e = journalEngine();
    for (const bad of ['', 'garbage', 'urn:x-davsync:sync:abc', 'http://example.com/sync/10', 'urn:x-davsync:sync:aaaaaaaa:-1']) {
      expect(invalid(await rejection(e.changes('/', bad, { level: 1 })))).toBe(true);
    }
  });

  it("rejects another collection's token", async () => {
    const e = journalEngine();
    await e.record([dir('/a'), dir('/b')]);
    const ta = (await e.changes('/a', null, { level: 1 })).token;
    expect(invalid(await rejection(e.changes('/b', ta, { level: 1 })))).toBe(true);
  });

  it('rejects a token of a deleted and re-created collection', async () => {
    const e = journalEngine();
    await e.record([dir('/a'), file('/a/x', '1')]);
    const t = (await e.changes('/a', null, { level: 1 })).token;
    await e.record([gone('/a', true), dir('/a')]);
    expect(invalid(await rejection(e.changes('/a', t, { level: 1 })))).toBe(true);
  });

  it('rejects a token from the future', async () => {
    const e = journalEngine();
    const t = parseSyncToken((await e.changes('/', null, { level: 1 })).token)!;
    const future = `urn:x-davsync:sync:${t.incarnation}:${t.revision + 1}`;
    expect(invalid(await rejection(e.changes('/', future, { level: 1 })))).toBe(true);
  });

  it('rejects a token older than the retention horizon, and only then', async () => {
    const e = journalEngine({ retention: { maxTombstones: 1 } });
    await e.record([file('/a', '1'), file('/b', '1'), dir('/q'), file('/q/x', '1')]);
    const t = (await e.changes('/', null, { level: 1 })).token;
    const tq = (await e.changes('/q', null, { level: 1 })).token;
    await e.record([gone('/a')]);
    expect(summary(await e.changes('/', t, { level: 1 }))).toEqual(['removed /a']);
    await e.record([gone('/b')]); // prunes the tombstone of /a
    expect(invalid(await rejection(e.changes('/', t, { level: 1 })))).toBe(true);
    // A collection whose scope lost nothing keeps its tokens valid.
    expect((await e.changes('/q', tq, { level: 1 })).changes).toEqual([]);
  });

  it('answers a missing collection with not-found and a file with supported-report', async () => {
    const e = journalEngine();
    await e.record([file('/f', '1')]);
    expect(isDavError(await rejection(e.changes('/nope', null, { level: 1 })), 'not-found')).toBe(true);
    expect(isDavError(await rejection(e.changes('/f', null, { level: 1 })), 'supported-report')).toBe(true);
  });
});

describe('pruning while a delta is read', () => {
  /** A journal that prunes every tombstone just as a scan starts, as a concurrent compaction would. */
  class PruningJournal extends MemoryJournal {
    pruneOnScan = false;
    override async *scan(collection: string, level: SyncLevel, after: number, through: number) {
      if (this.pruneOnScan) await this.prune({ maxTombstones: 0 });
      yield* super.scan(collection, level, after, through);
    }
  }

  it('never hands out a token past a removal the scan may have missed: the client is sent back to a full sync', async () => {
    const journal = new PruningJournal();
    const e = journalEngine({ journal: journal as JournalStore });
    await e.record([file('/a', '1'), file('/b', '1'), file('/c', '1')]);
    const token = (await e.changes('/', null, { level: 1 })).token;
    await e.record([gone('/b'), file('/c', '2')]);
    journal.pruneOnScan = true;
    const delta = await e.changes('/', token, { level: 1 });
    // The removal of /b was pruned under the scan: what was read is sent,
    // but the answer is truncated and carries the client's own token...
    expect(summary(delta)).toEqual(['changed /c 2']);
    expect(delta.truncated).toBe(true);
    expect(delta.token).toBe(token);
    journal.pruneOnScan = false;
    // ...which is now refused, so the client resyncs and cannot miss /b's removal.
    expect(isDavError(await rejection(e.changes('/', delta.token, { level: 1 })), 'invalid-sync-token')).toBe(true);
  });

  it('leaves a delta alone when nothing in its range was pruned', async () => {
    const journal = new PruningJournal();
    const e = journalEngine({ journal: journal as JournalStore });
    await e.record([file('/a', '1')]);
    const token = (await e.changes('/', null, { level: 1 })).token;
    await e.record([file('/a', '2')]);
    journal.pruneOnScan = true;
    const delta = await e.changes('/', token, { level: 1 });
    expect(delta.truncated).toBe(false);
    expect(parseSyncToken(delta.token)!.revision).toBe(parseSyncToken(token)!.revision + 1);
  });
});

describe('collections that cannot be synchronized (RFC 6578 §3.3)', () => {
  const unsyncable = (p: string) => (p === '/ext' ? ('sync-traversal-supported' as const) : p === '/old' ? ('supported-report' as const) : undefined);

  it('reports such a child collection once with 403 and none of its members', async () => {
    const e = journalEngine({ unsyncable });
    await e.record([dir('/ext'), file('/ext/x', '1'), dir('/old'), file('/a', '1')]);
    const first = await e.changes('/', null, { level: 'infinite' });
    expect(summary(first)).toEqual(['forbidden /ext sync-traversal-supported', 'forbidden /old supported-report', 'changed /a 1']);
    await e.record([file('/ext/y', '1'), dir('/ext', 'd2')]);
    expect((await e.changes('/', first.token, { level: 'infinite' })).changes).toEqual([]);
  });

  it('refuses to sync a collection that does not support the report', async () => {
    const e = journalEngine({ unsyncable });
    await e.record([dir('/old')]);
    expect(isDavError(await rejection(e.changes('/old', null, { level: 1 })), 'supported-report')).toBe(true);
  });
});

describe('sync tokens as If-header state tokens (RFC 6578 §5)', () => {
  it('is current until something in the collection changes', async () => {
    const e = journalEngine();
    await e.record([dir('/c')]);
    const t = (await e.changes('/c', null, { level: 1 })).token;
    expect(await e.isCurrentToken('/c', t)).toBe(true);
    expect(await e.currentToken('/c')).toBe(t);
    await e.record([file('/other', '1')]);
    expect(await e.isCurrentToken('/c', t)).toBe(true);
    await e.record([file('/c/x', '1')]);
    expect(await e.isCurrentToken('/c', t)).toBe(false);
  });

  it('has no token for a member that is not a collection', async () => {
    const e = journalEngine();
    await e.record([file('/f', '1')]);
    expect(await e.currentToken('/f')).toBeUndefined();
  });
});
