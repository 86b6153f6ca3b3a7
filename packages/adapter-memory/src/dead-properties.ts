/**
 * Dead-property patches as a pure function, so the adapter can validate a
 * whole patch before anything changes and then publish the result in one
 * assignment: that is what makes a patch atomic.
 */
import { badRequest } from '@davsync/core';
import type { PropertyMap } from './tree';

// `{ns}local`, or a bare `local` for a name in no namespace (RFC 4918 allows those; litmus tests them).
const CLARK_NAME = /^(?:\{[^{}]*\})?[^{}]+$/;

/**
 * The properties after removing `remove` and then setting `set`. A name in
 * both lists ends up set, since WebDAV's PROPPATCH order is lost by the time
 * it reaches the store. Throws `bad-request` (and changes nothing) when a name
 * is not in Clark notation or a value is not a string.
 */
export function patchProperties(
  current: PropertyMap,
  set: Readonly<Record<string, string>>,
  remove: readonly string[],
): PropertyMap {
  const toSet = Object.entries(set);
  for (const name of [...remove, ...toSet.map(([n]) => n)]) {
    if (!CLARK_NAME.test(name)) throw badRequest(`dead property name is not in Clark notation: ${JSON.stringify(name)}`);
  }
  for (const [name, value] of toSet) {
    if (typeof value !== 'string') throw badRequest(`dead property value must be a string: ${name}`);
  }
  const next = new Map(current);
  for (const name of remove) next.delete(name);
  for (const [name, value] of toSet) next.set(name, value);
  return next;
}
