/**
 * Temporary roots for the adapter's tests: each in its own directory under
 * `os.tmpdir()`, removed afterwards.
 */
import { mkdtempSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsAdapter, type FsAdapterOptions } from '@davsync/adapter-fs';
import { MemoryPropertyTable } from './memory-property-table';

/** A fresh directory for one test, with a `root` inside it (and room beside it for "outside" targets). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'davsync-fs-'));
}

/** A temp dir, with an empty `root/` in it, and an adapter over that root. */
export interface TempStore {
  readonly dir: string;
  readonly root: string;
  readonly table: MemoryPropertyTable;
  readonly adapter: FsAdapter;
}

export async function tempStore(options: Partial<Omit<FsAdapterOptions, 'properties'>> = {}): Promise<TempStore> {
  const dir = tempDir();
  const root = join(dir, 'root');
  await fsp.mkdir(root);
  const table = new MemoryPropertyTable();
  const adapter = new FsAdapter({ root, properties: table, ...options });
  await adapter.ready();
  return { dir, root, table, adapter };
}

/** Removes a directory made by {@link tempDir} or {@link tempStore}. */
export async function removeTemp(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
}
