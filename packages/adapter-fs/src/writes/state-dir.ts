/**
 * The state directory: `tmp/` for bodies and copies being staged, `trash/`
 * for members being deleted. Both must be on the root's filesystem so that
 * staging and deleting end in an atomic rename. Whatever a crash leaves in
 * them is an unacknowledged operation, so both are emptied when the adapter
 * starts: one adapter owns a state directory at a time.
 *
 * Replacing a member by one of another kind (a MOVE or COPY with Overwrite
 * onto a file or folder) takes two renames: the old member to the trash,
 * then the new one into place. A crash between the two would leave neither,
 * losing the old member for an operation nobody acknowledged. So the old
 * member's path is written to a small intent file first, and at start-up a
 * member found in the trash whose place is still empty is put back.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory, tempPathIn } from './atomic-write';

/** Suffix of the intent file written before a member is displaced. */
const INTENT = '.restore.json';

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
    for (const sub of [state.tmp, state.trash]) await fsp.mkdir(sub, { recursive: true, mode: 0o700 });
    await state.rollBackDisplaced();
    for (const sub of [state.tmp, state.trash]) {
      for (const name of await fsp.readdir(sub)) await fsp.rm(join(sub, name), { recursive: true, force: true });
    }
    return state;
  }

  /**
   * Moves the member at `real` to the trash so something else can take its
   * place, durably noting where it came from. Call `settle` once the new
   * member is in place; until then a crash puts the old one back.
   */
  async displace(real: string): Promise<{ trashed: string; settle: () => Promise<void> }> {
    const trashed = tempPathIn(this.trash, 'displaced');
    const intent = `${trashed}${INTENT}`;
    const handle = await fsp.open(intent, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ from: real }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDirectory(this.trash);
    await fsp.rename(real, trashed);
    await fsyncDirectory(dirname(real));
    return { trashed, settle: () => fsp.rm(intent, { force: true }) };
  }

  /** Start-up: puts back members displaced by a replacement that never landed. */
  private async rollBackDisplaced(): Promise<void> {
    for (const name of await fsp.readdir(this.trash)) {
      if (!name.endsWith(INTENT)) continue;
      const trashed = join(this.trash, name.slice(0, -INTENT.length));
      const from = await readIntent(join(this.trash, name));
      // An unreadable intent was cut short while being written, before
      // anything was displaced: there is nothing to put back.
      if (from === undefined) continue;
      const stillThere = await fsp.lstat(trashed).then(() => true, () => false);
      const replaced = await fsp.lstat(from).then(() => true, () => false);
      if (stillThere && !replaced) {
        await fsp.rename(trashed, from);
        await fsyncDirectory(dirname(from));
      }
    }
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

/** The path recorded in an intent file, or `undefined` if it is incomplete. */
async function readIntent(file: string): Promise<string | undefined> {
  try {
    const { from } = JSON.parse(await fsp.readFile(file, 'utf8')) as { from?: unknown };
    return typeof from === 'string' ? from : undefined;
  } catch {
    return undefined;
  }
}
