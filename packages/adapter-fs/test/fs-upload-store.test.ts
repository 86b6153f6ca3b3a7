/** The fs upload store against the upload-store conformance suite, reopened as after a restart. */
import { afterAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsUploadStore } from '@davsync/adapter-fs';
import { defineUploadStoreSuite, pausedBody } from '@davsync/core/testing';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineUploadStoreSuite({
  name: 'fs',
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'davsync-uploads-'));
    dirs.push(dir);
    return new FsUploadStore(join(dir, 'uploads'));
  },
  reopen: (store) => new FsUploadStore((store as FsUploadStore).dir),
});

it('records what arrived when the body goes quiet, so a server killed during the pause keeps it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'davsync-uploads-'));
  dirs.push(dir);
  const store = new FsUploadStore(join(dir, 'uploads'));
  await store.create({ id: 'q'.repeat(22), target: '/a' });
  const paused = pausedBody(Buffer.alloc(1000, 1), Buffer.alloc(500, 2));
  const appending = store.append('q'.repeat(22), 0, paused.body);
  await paused.paused;
  // What a restarted server would read: the record on disk, not this process's state.
  const restarted = new FsUploadStore(join(dir, 'uploads'));
  let seen = 0;
  for (let i = 0; i < 100 && seen !== 1000; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = (await restarted.get('q'.repeat(22)))?.offset ?? 0;
  }
  expect(seen).toBe(1000);
  paused.resume();
  expect((await appending).offset).toBe(1500);
});
