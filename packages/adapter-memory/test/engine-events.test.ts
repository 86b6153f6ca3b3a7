/**
 * Change events from every commit path of an engine over a store: its
 * mutations (one event each, with the paths the journal rule recorded) and
 * `refresh`, all through `engine.log.onChange`.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { SyncEngine, type SyncLogChange } from '@davsync/core';
import { MemoryAdapter } from '../src';

const body = (text: string) => Readable.from([Buffer.from(text)]);

describe('engine change events', () => {
  it('fire once per mutation, with the paths recorded and the collections they touch', async () => {
    const adapter = new MemoryAdapter();
    const engine = new SyncEngine({ adapter });
    const seen: SyncLogChange[] = [];
    engine.log.onChange((c) => seen.push(c));
    await engine.mkcol('/a');
    await engine.write('/a/x.txt', body('x'));
    await engine.copy('/a', '/b');
    await engine.move('/b/x.txt', '/a/y.txt');
    await engine.patchProperties('/a/y.txt', { '{urn:x}p': 'v' }, []);
    await engine.remove('/a');
    expect(seen.map((c) => c.paths)).toEqual([
      ['/a'],
      ['/a/x.txt'],
      ['/b', '/b/x.txt'],
      ['/b/x.txt', '/a/y.txt'],
      ['/a/y.txt'],
      ['/a', '/a/x.txt', '/a/y.txt'],
    ]);
    expect(seen[3]?.collections).toEqual(['/', '/a', '/b', '/a/y.txt', '/b/x.txt']);
    const revisions = seen.map((c) => c.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(revisions[revisions.length - 1]).toBe((await engine.journal.collection('/'))?.currentRevision);
  });

  it('fire for refresh when the store changed behind the engine, and not for a failed mutation', async () => {
    const adapter = new MemoryAdapter();
    const engine = new SyncEngine({ adapter });
    await engine.mkcol('/a');
    const seen: SyncLogChange[] = [];
    engine.log.onChange((c) => seen.push(c));
    await adapter.write('/a/behind.txt', body('b'));
    expect(await engine.refresh()).toBe(1);
    expect(seen.map((c) => c.paths)).toEqual([['/a/behind.txt']]);
    await expect(engine.write('/missing/x.txt', body('x'))).rejects.toMatchObject({ code: 'conflict' });
    expect(seen).toHaveLength(1);
  });
});
