/**
 * What the adapter needs before its first operation: the root and the state
 * directory resolved, checked against each other (the state directory
 * neither is nor holds the root, is a direct member when inside it, and is on
 * the root's filesystem so writes can end in a rename), and the path guard
 * built from both. `FsAdapter` opens this on first use (or `ready()`).
 */
import { promises as fsp } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { SafePaths } from '../paths/safe-path';
import { StateDir } from '../writes/state-dir';

/** What the adapter learns when it first touches the disk. */
export interface Context {
  readonly guard: SafePaths;
  readonly state: StateDir;
}

/** Resolves the root and the state directory and checks they work together. */
export async function openContext(rootPath: string, stateDirPath: string): Promise<Context> {
  let root: string;
  try {
    root = await fsp.realpath(rootPath);
  } catch (err) {
    throw new Error(`davsync: cannot open the root directory ${rootPath}: ${String((err as Error).message)}`);
  }
  const rootStats = await fsp.stat(root, { bigint: true });
  if (!rootStats.isDirectory()) throw new Error(`davsync: the root is not a directory: ${rootPath}`);
  await fsp.mkdir(stateDirPath, { recursive: true, mode: 0o700 });
  const stateReal = await fsp.realpath(stateDirPath);
  const inRoot = relative(root, stateReal);
  const rootInState = relative(stateReal, root);
  if (!isAbsolute(rootInState) && rootInState !== '..' && !rootInState.startsWith(`..${sep}`)) {
    // Also covers stateDir === root. The state directory is emptied at start.
    throw new Error('davsync: the state directory cannot be the root or contain it');
  }
  const inside = !isAbsolute(inRoot) && inRoot !== '..' && !inRoot.startsWith(`..${sep}`);
  if (inside && inRoot.includes(sep)) {
    throw new Error('davsync: a state directory inside the root must be a direct member of it (like the default <root>/.davsync)');
  }
  const state = await StateDir.open(stateReal);
  if ((await fsp.stat(state.tmp, { bigint: true })).dev !== rootStats.dev) {
    throw new Error('davsync: the state directory must be on the same filesystem as the root, so writes can be renamed into place atomically');
  }
  const stateStats = await fsp.lstat(stateReal, { bigint: true });
  const guard = new SafePaths({
    root,
    rootDev: rootStats.dev,
    ...(inside ? { stateName: inRoot, stateId: { dev: stateStats.dev, ino: stateStats.ino } } : {}),
  });
  return { guard, state };
}
