/** Both sides of a sync as plain maps (path → content, folders as '/'), for tests to compare. */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RemoteCollection } from '../../src/index';

export async function localFiles(root: string, dir = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(root, dir))).sort()) {
    const path = dir === '' ? name : `${dir}/${name}`;
    if (path === '.davsync-client') continue;
    if ((await stat(join(root, path))).isDirectory()) {
      out[path] = '/';
      Object.assign(out, await localFiles(root, path));
    } else out[path] = await readFile(join(root, path), 'utf8');
  }
  return out;
}

export async function remoteFiles(remote: RemoteCollection, scratch: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = [];
  for await (const item of remote.changes()) if (item.kind === 'changes') for (const c of item.changes) if (c.type === 'changed') entries.push(c.entry);
  for (const e of entries.sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (e.kind === 'dir') out[e.path] = '/';
    else {
      const file = join(scratch, 'remote-read');
      await remote.download(e.path, file);
      out[e.path] = await readFile(file, 'utf8');
      await rm(file);
    }
  }
  return out;
}

export async function writeLocal(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

export async function putRemote(remote: RemoteCollection, scratch: string, path: string, text: string): Promise<void> {
  const file = join(scratch, 'remote-write');
  await writeFile(file, text);
  await remote.upload(path, file, {});
  await rm(file);
}

/** Sorted keys, so toEqual failures read well. */
export function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
