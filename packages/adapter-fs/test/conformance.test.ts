import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineAdapterSuite } from '@davsync/core/testing';
import { FsAdapter } from '@davsync/adapter-fs';
import { MemoryPropertyTable } from './support/memory-property-table';
import { removeTemp, tempDir } from './support/temp-store';

/** The temp directory each adapter was made in, so `cleanup` can remove it. */
const dirs = new WeakMap<object, string>();

defineAdapterSuite({
  name: 'fs',
  create: () => {
    const dir = tempDir();
    const root = join(dir, 'root');
    mkdirSync(root);
    const adapter = new FsAdapter({ root, properties: new MemoryPropertyTable() });
    dirs.set(adapter, dir);
    return adapter;
  },
  cleanup: async (adapter) => {
    const dir = dirs.get(adapter);
    if (dir !== undefined) await removeTemp(dir);
  },
});
