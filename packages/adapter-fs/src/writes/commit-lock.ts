/**
 * Serialises the short check-then-act steps of the adapter's mutations (look
 * up the target, compare its ETag, rename into place, update the property
 * table), so that a compare-and-set write, or a COPY that must not overwrite,
 * holds even when callers other than the engine (which has its own tree lock)
 * mutate the store concurrently. Slow work — streaming a body, copying a
 * tree — happens before the step, outside the lock.
 */
export class CommitLock {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `step` after every step queued before it has settled. */
  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(step);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
