/**
 * Group fsync of directories. A rename is durable once its directory has
 * been fsynced *after* it; concurrent writes into one folder can share that
 * fsync instead of queueing one each. `sync(dir)` resolves once an fsync of
 * `dir` that started after the call has completed: if one is already
 * running (it may have started before this caller's rename), the caller
 * waits for the next, which serves everyone who arrived meanwhile.
 */
import { fsyncDirectory } from './atomic-write';

interface DirectoryState {
  /** The fsync in progress. */
  running: Promise<void>;
  /** The fsync that starts when `running` ends, shared by everyone who asked since it began. */
  next: Promise<void> | undefined;
}

export class DirectorySyncer {
  readonly #dirs = new Map<string, DirectoryState>();

  constructor(private readonly fsync: (dir: string) => Promise<void> = fsyncDirectory) {}

  sync(dir: string): Promise<void> {
    const state = this.#dirs.get(dir);
    if (state === undefined) return this.#start(dir);
    // One is running and may predate our rename: join (or queue) the next one.
    state.next ??= state.running.then(
      () => this.#start(dir),
      () => this.#start(dir),
    );
    return state.next;
  }

  #start(dir: string): Promise<void> {
    const running = this.fsync(dir);
    const state: DirectoryState = { running, next: undefined };
    // Whoever queued behind the previous run becomes this one; newcomers queue behind it.
    this.#dirs.set(dir, state);
    const done = (): void => {
      if (this.#dirs.get(dir) === state && state.next === undefined) this.#dirs.delete(dir);
    };
    running.then(done, done);
    return running;
  }
}
