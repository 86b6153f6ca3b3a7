import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';
import { defineAdapterSuite } from '@davsync/core/testing';
import { FsAdapter, ListingThread } from '@davsync/adapter-fs';
import { MemoryPropertyTable } from '../support/memory-property-table';
import { removeTemp, tempDir } from '../support/temp-store';

/** The temp directory each adapter was made in, so `cleanup` can remove it. */
const dirs = new WeakMap<object, string>();

function fsAdapter(listing?: ListingThread): FsAdapter {
  const dir = tempDir();
  const root = join(dir, 'root');
  mkdirSync(root);
  const adapter = new FsAdapter({ root, properties: new MemoryPropertyTable(), ...(listing === undefined ? {} : { listing }) });
  dirs.set(adapter, dir);
  return adapter;
}

const cleanup = async (adapter: object) => {
  // Background hashing stops before its files go.
  await (adapter as FsAdapter).close();
  const dir = dirs.get(adapter);
  if (dir !== undefined) await removeTemp(dir);
};

defineAdapterSuite({ name: 'fs', create: () => fsAdapter(), cleanup });

// The same contract when folders of more than one batch are read on a listing
// thread (as openFsStore sets it up): the 1 000-member tests go through it.
let listing: Promise<ListingThread> | undefined;
afterAll(async () => {
  await (await listing)?.close();
});
defineAdapterSuite({
  name: 'fs with a listing thread',
  create: async () => fsAdapter(await (listing ??= ListingThread.start())),
  cleanup,
});
