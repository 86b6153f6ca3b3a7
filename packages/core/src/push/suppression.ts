/**
 * Push-Dont-Notify (the draft §5.2): a request may ask that its own change
 * not be pushed to some registrations, or to none. The change event is
 * raised synchronously inside the request's own call chain, so the wish
 * travels with it in an AsyncLocalStorage instead of through every engine
 * method: the dispatcher reads it when the event arrives.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Registrations not to notify: `'all'` (`*`), or these ids. */
export type PushSuppression = 'all' | ReadonlySet<string>;

const current = new AsyncLocalStorage<PushSuppression>();

/** Runs `fn` so that changes it makes are not pushed to `suppression`'s registrations. */
export function withoutPushTo<T>(suppression: PushSuppression | undefined, fn: () => T): T {
  if (suppression === undefined || (suppression !== 'all' && suppression.size === 0)) return fn();
  return current.run(suppression, fn);
}

/** The suppression of the change being raised now, if any. */
export function currentPushSuppression(): PushSuppression | undefined {
  return current.getStore();
}
