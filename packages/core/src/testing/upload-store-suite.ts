/**
 * The upload-store conformance suite: every `UploadStore` (memory, the fs
 * store's upload directory, PostgreSQL) is checked by the same tests —
 * appends at the right offset only, bytes of a cut-off append kept, one
 * appender at a time, the size bound, streaming the whole upload back,
 * removal and expiry on the suite's clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { expectDavError } from './assertions';
import { chunked, failingBody, pausedBody, readAll } from './bodies';
import { expireUploads, type UploadStore } from '../uploads/upload-store';

export interface UploadStoreSuiteOptions {
  /** Names the store in the test titles. */
  readonly name: string;
  /** A new, empty store. */
  readonly create: () => UploadStore | Promise<UploadStore>;
  /** A second handle on the same storage (a restarted server, another instance); absent when the store cannot have one. */
  readonly reopen?: (store: UploadStore) => UploadStore | Promise<UploadStore>;
  /** Releases what `create` made. */
  readonly cleanup?: (store: UploadStore) => void | Promise<void>;
}

const id = (): string => randomBytes(16).toString('hex');
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function defineUploadStoreSuite(options: UploadStoreSuiteOptions): void {
  describe(`upload store: ${options.name}`, () => {
    let store: UploadStore;
    beforeEach(async () => {
      store = await options.create();
    });
    afterEach(async () => {
      await options.cleanup?.(store);
    });

    it('appends in steps and streams the whole upload back', async () => {
      const data = randomBytes(700_000);
      const up = await store.create({ id: id(), target: '/a.bin', owner: 'ann', meta: { 'content-type': 'x/y' } }, 1000);
      expect(up).toMatchObject({ offset: 0, updated: 1000, owner: 'ann', target: '/a.bin', meta: { 'content-type': 'x/y' } });
      const first = await store.append(up.id, 0, chunked(data.subarray(0, 300_001), 65_536), { now: 2000 });
      expect(first).toMatchObject({ offset: 300_001, updated: 2000 });
      const second = await store.append(up.id, 300_001, chunked(data.subarray(300_001), 100_000), { length: data.length });
      expect(second.offset).toBe(data.length);
      expect(second.length).toBe(data.length);
      expect((await store.get(up.id))?.offset).toBe(data.length);
      expect(sha256(await readAll(await store.read(up.id)))).toBe(sha256(data));
    });

    it('refuses an append at another offset, changing nothing', async () => {
      const up = await store.create({ id: id(), target: '/a' });
      await store.append(up.id, 0, chunked(Buffer.from('hello'), 2));
      await expectDavError('conflict', () => store.append(up.id, 3, chunked(Buffer.from('xx'), 2)));
      await expectDavError('conflict', () => store.append(up.id, 0, chunked(Buffer.from('xx'), 2)));
      expect((await store.get(up.id))?.offset).toBe(5);
      expect((await readAll(await store.read(up.id))).toString()).toBe('hello');
    });

    it('keeps what a cut-off append received, and resumes from there', async () => {
      const up = await store.create({ id: id(), target: '/a' });
      await expect(store.append(up.id, 0, failingBody(new Error('client gone'), 'abc', 'def'))).rejects.toThrow('client gone');
      const after = await store.get(up.id);
      expect(after?.offset).toBe(6);
      await store.append(up.id, 6, chunked(Buffer.from('ghi'), 3));
      expect((await readAll(await store.read(up.id))).toString()).toBe('abcdefghi');
    });

    it('lets one appender in at a time: a second is busy, and removal waits for neither', async () => {
      const up = await store.create({ id: id(), target: '/a' });
      const paused = pausedBody(Buffer.from('one'), Buffer.from('two'));
      const first = store.append(up.id, 0, paused.body);
      await paused.paused;
      await expectDavError('busy', () => store.append(up.id, 0, chunked(Buffer.from('other'), 5)));
      await expectDavError('busy', () => store.remove(up.id));
      paused.resume();
      expect((await first).offset).toBe(6);
      expect((await readAll(await store.read(up.id))).toString()).toBe('onetwo');
    });

    it('bounds the size and the announced length', async () => {
      const up = await store.create({ id: id(), target: '/a', length: 4 });
      await expectDavError('payload-too-large', () => store.append(up.id, 0, chunked(Buffer.from('12345'), 5), { maxBytes: 4 }));
      expect((await store.get(up.id))?.offset).toBe(0);
      await expectDavError('conflict', () => store.append(up.id, 0, chunked(Buffer.from('1'), 1), { length: 5 }));
    });

    it('removes, lists per owner, and expires idle uploads on the given clock', async () => {
      const a = await store.create({ id: id(), target: '/a', owner: 'ann' }, 1000);
      const b = await store.create({ id: id(), target: '/b', owner: 'bob' }, 5000);
      expect((await store.list('ann')).map((u) => u.id)).toEqual([a.id]);
      expect((await store.list()).length).toBe(2);
      expect(await expireUploads(store, 2000)).toEqual([a.id]);
      expect(await store.get(a.id)).toBeUndefined();
      expect(await store.remove(b.id)).toBe(true);
      expect(await store.remove(b.id)).toBe(false);
      await expectDavError('not-found', () => store.read(b.id));
      await expectDavError('not-found', () => store.append(b.id, 0, chunked(Buffer.from('x'), 1)));
    });

    if (options.reopen !== undefined) {
      it('keeps uploads and their offsets across a reopen', async () => {
        const up = await store.create({ id: id(), target: '/a', length: 6, meta: { k: 'v' } });
        await store.append(up.id, 0, chunked(Buffer.from('abc'), 1));
        const again = await options.reopen!(store);
        expect(await again.get(up.id)).toMatchObject({ offset: 3, length: 6, target: '/a', meta: { k: 'v' } });
        await again.append(up.id, 3, chunked(Buffer.from('def'), 3));
        expect((await readAll(await again.read(up.id))).toString()).toBe('abcdef');
        store = again;
      });
    }
  });
}
