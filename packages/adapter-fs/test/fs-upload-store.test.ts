/** The fs upload store against the upload-store conformance suite, reopened as after a restart. */
import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsUploadStore } from '@davsync/adapter-fs';
import { defineUploadStoreSuite } from '@davsync/core/testing';

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
