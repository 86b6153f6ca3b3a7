/**
 * The sync engine over the adapter under test: every mutation made through
 * the engine shows up in the next delta exactly as RFC 6578 §3.5 says, and
 * `refresh` picks up changes made to the store behind the engine's back.
 */
import { expect } from '@jest/globals';
import type { StorageAdapter } from '../../adapter';
import type { ChangeSet } from '../../delta';
import { SyncEngine } from '../../engine';
import type { Harness } from '../harness';
import { bodyOf } from '../bodies';

const put = (engine: SyncEngine, path: string, text: string) => engine.write(path, bodyOf(text));
const view = (set: ChangeSet): string[] =>
  set.changes.map((c) => `${c.type} ${c.path}`).sort();

async function engineWithToken(adapter: StorageAdapter, setup: (e: SyncEngine) => Promise<void>) {
  // A self-journaling adapter's journal is the one the engine must use.
  const engine = new SyncEngine({ adapter, journal: adapter.recordsChangesIn });
  await setup(engine);
  const first = await engine.changes('/', null, { level: 'infinite' });
  return { engine, first, token: first.token };
}

export function syncSuite(t: Harness): void {
  t.test('an initial sync lists every member written through the engine', async (adapter) => {
    const { first } = await engineWithToken(adapter, async (e) => {
      await e.mkcol('/d');
      await put(e, '/d/a.txt', 'a');
      await put(e, '/b.txt', 'b');
    });
    expect(view(first)).toEqual(['changed /b.txt', 'changed /d', 'changed /d/a.txt']);
    const etags = Object.fromEntries(first.changes.map((c) => [c.path, c.type === 'changed' ? c.etag : '']));
    expect(etags['/b.txt']).toBe((await adapter.stat('/b.txt'))?.etag);
  });

  t.test('a delta reports writes, overwrites and deletes made through the engine', async (adapter) => {
    const { engine, token } = await engineWithToken(adapter, async (e) => {
      await put(e, '/keep.txt', '1');
      await put(e, '/edit.txt', '1');
      await put(e, '/gone.txt', '1');
    });
    await put(engine, '/edit.txt', '2');
    await put(engine, '/new.txt', '1');
    await engine.remove('/gone.txt');
    expect(view(await engine.changes('/', token, { level: 1 }))).toEqual(['changed /edit.txt', 'changed /new.txt', 'removed /gone.txt']);
  });

  t.test('a moved collection is reported removed at its source and changed, with its members, at its destination', async (adapter) => {
    const { engine, token } = await engineWithToken(adapter, async (e) => {
      await e.mkcol('/src');
      await put(e, '/src/a.txt', 'a');
    });
    await engine.move('/src', '/dst');
    expect(view(await engine.changes('/', token, { level: 'infinite' }))).toEqual(['changed /dst', 'changed /dst/a.txt', 'removed /src']);
  });

  t.test('a copy onto identical content is still reported as newly mapped', async (adapter) => {
    const { engine, token } = await engineWithToken(adapter, async (e) => {
      await put(e, '/a.txt', 'same');
      await put(e, '/b.txt', 'same');
    });
    await engine.copy('/a.txt', '/b.txt', { overwrite: true });
    expect(view(await engine.changes('/', token, { level: 1 }))).toEqual(['changed /b.txt']);
  });

  t.test('refresh records changes made to the store behind the engine', async (adapter) => {
    const { engine, token } = await engineWithToken(adapter, async (e) => {
      await put(e, '/a.txt', 'a');
      await put(e, '/b.txt', 'b');
    });
    await adapter.write('/a.txt', bodyOf('changed'));
    await adapter.remove('/b.txt');
    await adapter.mkcol('/c');
    await adapter.write('/c/x.txt', bodyOf('x'));
    // A self-journaling adapter (`recordsChangesIn`) recorded these itself,
    // so refresh finds nothing left to record; the delta is the same.
    expect(await engine.refresh()).toBe(adapter.recordsChangesIn === undefined ? 4 : 0);
    expect(view(await engine.changes('/', token, { level: 'infinite' }))).toEqual([
      'changed /a.txt',
      'changed /c',
      'changed /c/x.txt',
      'removed /b.txt',
    ]);
    expect(await engine.refresh()).toBe(0);
  });

  t.test('a failed write records nothing', async (adapter) => {
    const { engine, token } = await engineWithToken(adapter, async (e) => {
      await put(e, '/a.txt', 'a');
    });
    await expect(put(engine, '/missing/parent.txt', 'x')).rejects.toMatchObject({ code: 'conflict' });
    const again = await engine.changes('/', token, { level: 'infinite' });
    expect(again.changes).toEqual([]);
    expect(again.token).toBe(token);
  });
}
