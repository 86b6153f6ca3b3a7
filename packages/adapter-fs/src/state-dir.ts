/**
 * The state directory: `tmp/` for bodies and copies being staged, `trash/`
 * for members being deleted. Both must be on the root's filesystem so that
 * staging and deleting end in an atomic rename. Whatever a crash leaves in
 * them is an unacknowledged operation, so both are emptied when the adapter
 * starts: one adapter owns a state directory at a time.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory, tempPathIn } from './atomic-write';

export class StateDir {
  private constructor(
    /** The state directory's real path. */
    readonly real: string,
    /** Where writes and copies are staged. */
    readonly tmp: string,
    /** Where deleted members wait to be removed. */
    readonly trash: string,
  ) {}

  /** Creates the directory and its `tmp/` and `trash/` if needed, and empties both. */
  static async open(dir: string): Promise<StateDir> {
    // Only the owner needs to look inside: staged bodies may be private.
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const real = await fsp.realpath(dir);
    const state = new StateDir(real, join(real, 'tmp'), join(real, 'trash'));
    for (const sub of [state.tmp, state.trash]) {
      await fsp.mkdir(sub, { recursive: true, mode: 0o700 });
      for (const name of await fsp.readdir(sub)) await fsp.rm(join(sub, name), { recursive: true, force: true });
    }
    return state;
  }

  /** A fresh path in `tmp/` to stage something at. */
  tempPath(kind: string): string {
    return tempPathIn(this.tmp, kind);
  }

  /**
   * Takes a member out of the tree in one rename, so readers never see it
   * half-deleted, and makes that durable. Returns where it went, for
   * {@link purge}.
   */
  async moveToTrash(real: string): Promise<string> {
    const trashed = tempPathIn(this.trash, 'gone');
    await fsp.rename(real, trashed);
    await fsyncDirectory(dirname(real));
    return trashed;
  }

  /** Deletes what {@link moveToTrash} put aside. Never throws: leftovers go at the next start. */
  async purge(trashed: string): Promise<void> {
    await fsp.rm(trashed, { recursive: true, force: true }).catch(() => undefined);
  }
}
