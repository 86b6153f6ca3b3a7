/**
 * The sync log on its own, no engine and no store: recording, deltas and
 * tokens; reconcile against a tree in memory; change events; the per-user
 * view of a delta (access and revocations).
 */
import { describe, expect, it } from '@jest/globals';
import { EntryTree, parseSyncToken, SyncLog, type Change, type SyncLogChange } from '@davsync/core';
import { dir, file, gone, summary } from './helpers';

const revisionOf = (token: string): number => parseSyncToken(token)!.revision;

function listen(log: SyncLog): SyncLogChange[] {
  const seen: SyncLogChange[] = [];
  log.onChange((c) => seen.push(c));
  return seen;
}

describe('SyncLog: recording, deltas and tokens', () => {
  it('records a host’s changes and answers deltas and tokens from them', async () => {
    const log = new SyncLog();
    const n = await log.record([dir('/books'), file('/books/a.vcf', 'e1'), file('/books/b.vcf', 'e2')]);
    expect(n).toBe(3);
    const first = await log.changes('/books', null, { level: 1 });
    expect(summary(first)).toEqual(['changed /books/a.vcf e1', 'changed /books/b.vcf e2']);
    expect(first.token).toBe(await log.currentToken('/books'));
    expect(await log.isCurrentToken('/books', first.token)).toBe(true);

    await log.record([file('/books/a.vcf', 'e3'), gone('/books/b.vcf')]);
    expect(await log.isCurrentToken('/books', first.token)).toBe(false);
    const cursor = await log.openChanges('/books', first.token, { level: 1 });
    const changes: Change[] = [];
    for await (const c of cursor) changes.push(c);
    expect(changes.map((c) => `${c.type} ${c.path}`)).toEqual(['changed /books/a.vcf', 'removed /books/b.vcf']);
    expect(cursor.token).toBe(await log.currentToken('/books'));
  });

  it('has no token for what is not a collection, and recent changes newest first', async () => {
    const log = new SyncLog();
    await log.record([dir('/c'), file('/c/x', 'e1'), file('/c/y', 'e2')]);
    expect(await log.currentToken('/c/x')).toBeUndefined();
    expect(await log.currentToken('/nothing')).toBeUndefined();
    const recent = await log.recentChanges('/c', { limit: 1 });
    expect(recent?.changes.map((c) => c.path)).toEqual(['/c/y']);
  });

  it('removes a recorded collection with its members, and compacts past the retention', async () => {
    const log = new SyncLog({ retention: { maxTombstones: 1 } });
    await log.record([dir('/c'), file('/c/x', 'e1'), file('/c/y', 'e2')]);
    const { token } = await log.changes('/', null, { level: 'infinite' });
    expect(await log.record([gone('/c', true)])).toBe(3); // /c, then /c/x and /c/y
    expect(await log.journal.tombstoneCount()).toBe(1);
    await expect(log.changes('/', token, { level: 'infinite' })).rejects.toMatchObject({ code: 'invalid-sync-token' });
  });

  it('reconciles a tree against the journal and records only the differences', async () => {
    const log = new SyncLog();
    await log.record([dir('/c'), file('/c/x', 'e1'), file('/c/y', 'e2')]);
    const tree = new EntryTree([
      { path: '/c', collection: true, etag: 'd' },
      { path: '/c/x', collection: false, etag: 'e1' },
      { path: '/c/z', collection: false, etag: 'e3' },
    ]);
    const { token } = await log.changes('/c', null, { level: 1 });
    expect(await log.reconcile('/c', tree)).toBe(2);
    expect(summary(await log.changes('/c', token, { level: 1 }))).toEqual(['changed /c/z e3', 'removed /c/y']);
    expect(await log.reconcile('/c', tree)).toBe(0);
  });
});

describe('SyncLog: change events', () => {
  it('fire once per commit, with its revision, paths and the collections whose token changed', async () => {
    const log = new SyncLog();
    const seen = listen(log);
    await log.record([dir('/books'), dir('/books/a'), file('/books/a/1.vcf', 'e1')]);
    // record() commits each change on its own: three commits, three events.
    expect(seen.map((c) => c.paths)).toEqual([['/books'], ['/books/a'], ['/books/a/1.vcf']]);
    expect(seen[2]?.collections).toEqual(['/', '/books', '/books/a', '/books/a/1.vcf']);
    const head = revisionOf((await log.currentToken('/'))!);
    expect(seen.map((c) => c.revision)).toEqual([head - 2, head - 1, head]);
    // The token a listener would announce is the collection's current one.
    expect(revisionOf((await log.currentToken('/books/a'))!)).toBe(seen[2]?.revision);
  });

  it('fire for a removal with the whole subtree in one event', async () => {
    const log = new SyncLog();
    await log.record([dir('/c'), dir('/c/d'), file('/c/d/x', 'e1')]);
    const seen = listen(log);
    await log.record([gone('/c', true)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.paths).toEqual(['/c', '/c/d', '/c/d/x']);
    expect(seen[0]?.collections).toEqual(['/', '/c', '/c/d', '/c/d/x']);
  });

  it('fire for a reconcile, a grant and a revocation; not for a commit with nothing in it', async () => {
    const log = new SyncLog();
    await log.record([dir('/c'), file('/c/x', 'e1')]);
    const seen = listen(log);
    expect(await log.reconcile('/c', new EntryTree([{ path: '/c', collection: true, etag: 'd' }, { path: '/c/x', collection: false, etag: 'e1' }]))).toBe(0);
    expect(seen).toHaveLength(0);
    await log.reconcile('/c', new EntryTree([{ path: '/c', collection: true, etag: 'd' }, { path: '/c/x', collection: false, etag: 'e2' }]));
    await log.grantAccess(['/c']);
    await log.revokeAccess(['bob'], ['/c/x']);
    expect(seen.map((c) => c.paths)).toEqual([['/c/x'], ['/c', '/c/x'], ['/c/x']]);
    await log.grantAccess(['/nothing']);
    expect(seen).toHaveLength(3);
  });

  it('stop when unsubscribed, and a throwing listener neither fails the commit nor silences the others', async () => {
    const errors: unknown[] = [];
    const log = new SyncLog({ onError: (err) => errors.push(err) });
    const seen: number[] = [];
    const stop = log.onChange(() => {
      throw new Error('listener bug');
    });
    const stopOther = log.onChange((c) => seen.push(c.revision));
    await expect(log.record([file('/a', 'e1')])).resolves.toBe(1);
    expect(errors).toHaveLength(1);
    expect(seen).toHaveLength(1);
    stop();
    stopOther();
    await log.record([file('/b', 'e2')]);
    expect(errors).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });
});

describe('SyncLog: the per-user view of a delta', () => {
  const access = (user: string, readable: (path: string) => boolean) => ({ user, mayRead: readable });

  it('leaves out what the user may not read, and reports what they lost since their token as removed', async () => {
    const log = new SyncLog();
    await log.record([dir('/team'), file('/team/open.txt', 'e1'), file('/team/secret.txt', 'e2'), file('/team/plan.txt', 'e3')]);
    let bobReadsPlan = true;
    const bob = access('bob', (p) => p !== '/team/secret.txt' && (bobReadsPlan || p !== '/team/plan.txt'));
    const first = await log.changes('/team', null, { level: 1, access: bob });
    // Never readable: never named, not even in the initial sync.
    expect(first.changes.map((c) => c.path)).toEqual(['/team/open.txt', '/team/plan.txt']);

    bobReadsPlan = false;
    await log.revokeAccess(['bob'], ['/team/plan.txt']);
    const delta = await log.changes('/team', first.token, { level: 1, access: bob });
    expect(delta.changes.map((c) => `${c.type} ${c.path}`)).toEqual(['removed /team/plan.txt']);
    // Another user who can read it sees it as changed, harmlessly.
    const alice = await log.changes('/team', first.token, { level: 1, access: access('alice', () => true) });
    expect(alice.changes.map((c) => `${c.type} ${c.path}`)).toEqual(['changed /team/plan.txt']);
    // A token issued after the revocation does not get the removal again.
    expect((await log.changes('/team', delta.token, { level: 1, access: bob })).changes).toEqual([]);
  });

  it('without a user, a member lost is left out rather than reported removed', async () => {
    const log = new SyncLog();
    await log.record([dir('/team'), file('/team/plan.txt', 'e1')]);
    const { token } = await log.changes('/team', null, { level: 1 });
    await log.revokeAccess(['bob'], ['/team/plan.txt']);
    const anonymous = await log.changes('/team', token, { level: 1, access: { mayRead: () => false } });
    expect(anonymous.changes).toEqual([]);
  });
});
