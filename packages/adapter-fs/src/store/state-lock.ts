/**
 * One davsync process per root: two would race each other's temp files,
 * trash and journal.
 *
 * The lock is an advisory lock the kernel holds for us on `lock.db`, a tiny
 * SQLite database opened in exclusive locking mode (better-sqlite3 is already
 * here for the journal). The kernel drops it the moment its owner dies —
 * `kill -9`, a crash, a container stop — even before the dead process has
 * been reaped, and a lock can never be mistaken for someone else's: nothing
 * here reads a pid to decide (pids are reused, and a killed process stays a
 * zombie, "alive" to `kill(pid, 0)`, until its parent reaps it).
 *
 * POSIX locks belong to a process, not to a connection, so a second open in
 * the same process would not be refused by the kernel; SQLite tracks the
 * locks of all its connections in a process itself and refuses it, which is
 * what makes a second `openFsStore` on one root fail in-process too. The
 * same bookkeeping is why nothing but this module may open `lock.db`:
 * closing any other descriptor of the file would drop the process's lock.
 *
 * Beside it, `lock` names the owner's pid, for people and for the message
 * a refused process prints (and earlier davsync versions, whose lock that
 * file was, see a live owner in it and stay away). It is information only;
 * a `lock` file left by a crash, or by an earlier version, is overwritten.
 */
import { renameSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DavError } from '@davsync/core';

/** The file whose kernel lock is the state directory's lock. */
const LOCK_DB = 'lock.db';
/** The owner's pid, as text (the lock file of davsync before the kernel lock). */
const OWNER_NOTE = 'lock';

/**
 * Takes the lock of a state directory, or fails at once (never waits) with a
 * `DavError('unavailable')` if another process — or another store in this
 * process — holds it. Resolves to the release function.
 */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const held = holdLockDb(join(stateDir, LOCK_DB), stateDir);
  const note = join(stateDir, OWNER_NOTE);
  try {
    writeOwnerNote(note);
  } catch (err) {
    held.close();
    throw err;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // The note first: once the lock is free it may already be someone else's.
    rmSync(note, { force: true });
    held.close();
  };
}

function holdLockDb(file: string, stateDir: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new Database(file, { timeout: 0 });
    // The file holds no data worth a journal on disk (and a held `-journal`
    // file would only puzzle whoever looks in the folder).
    db.pragma('journal_mode = MEMORY');
    // Exclusive mode keeps every lock the connection takes until it closes;
    // the write transaction takes the exclusive one.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return db;
  } catch (err) {
    db?.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new DavError('unavailable', `davsync: ${stateDir} is in use by ${ownerOf(join(stateDir, OWNER_NOTE))}`);
    }
    throw new DavError('unavailable', `davsync: cannot lock ${stateDir}: ${(err as Error).message}`);
  }
}

/** Written under the lock, renamed into place so a reader never sees half a pid. */
function writeOwnerNote(note: string): void {
  const temp = `${note}.${process.pid}.tmp`;
  writeFileSync(temp, String(process.pid), { mode: 0o644 });
  renameSync(temp, note);
}

/** Who holds the lock, as far as its note says (it may be a moment behind). */
function ownerOf(note: string): string {
  let pid = NaN;
  try {
    pid = Number(readFileSync(note, 'utf8').trim());
  } catch {
    // No note yet: the owner is between taking the lock and writing it.
  }
  if (!Number.isInteger(pid) || pid <= 0) return 'another process';
  return pid === process.pid ? `another store in this process (${pid})` : `process ${pid}`;
}
