/**
 * The adapter's `DeadPropertyStore`: the property table, seen only for
 * members that exist, without the adapter's internal properties.
 *
 * The adapter keeps one internal property itself: a PUT's media type when it
 * differs from what the file's extension says ({@link CONTENT_TYPE_PROPERTY}).
 * Keeping it in the property table makes it follow its file on COPY and MOVE
 * and vanish on DELETE like any dead property, with no sidecar files. Names
 * in its namespace are hidden from `get` and refused by `patch`.
 */
import { DavError, badRequest, type DeadPropertyStore } from '@davsync/core';
import type { CommitLock } from '../writes/commit-lock';
import type { PropertyTable } from './property-table';

/** The namespace of properties the adapter keeps for itself. */
export const INTERNAL_NAMESPACE = 'urn:x-davsync:fs';

/** Where a PUT's media type is kept when the file's extension does not imply it. */
export const CONTENT_TYPE_PROPERTY = `{${INTERNAL_NAMESPACE}}getcontenttype`;

const INTERNAL_PREFIX = `{${INTERNAL_NAMESPACE}}`;

// `{ns}local`, or a bare `local` for a name in no namespace.
const CLARK_NAME = /^(?:\{[^{}]*\})?[^{}]+$/;

/** True for a property name the adapter keeps for itself. */
export const isInternalProperty = (name: string): boolean => name.startsWith(INTERNAL_PREFIX);

export class FsDeadProperties implements DeadPropertyStore {
  constructor(
    private readonly table: PropertyTable,
    /** The normalised path of an existing member; throws `not-found` otherwise. */
    private readonly member: (path: string) => Promise<string>,
    private readonly lock: CommitLock,
  ) {}

  async get(path: string): Promise<Record<string, string>> {
    const p = await this.member(path);
    const all = await this.table.get(p);
    return Object.fromEntries(Object.entries(all).filter(([name]) => !isInternalProperty(name)));
  }

  async patch(path: string, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
    // Validated whole before anything changes, so a refused patch changes nothing.
    for (const name of [...remove, ...Object.keys(set)]) {
      if (!CLARK_NAME.test(name)) throw badRequest(`davsync: dead property name is not in Clark notation: ${JSON.stringify(name)}`);
      if (isInternalProperty(name)) {
        throw new DavError('forbidden', `davsync: property reserved by the store: ${name}`, undefined, 'cannot-modify-protected-property');
      }
    }
    for (const [name, value] of Object.entries(set)) {
      if (typeof value !== 'string') throw badRequest(`davsync: dead property value must be a string: ${name}`);
    }
    // Under the commit lock, so the member cannot be removed between the check and the patch.
    await this.lock.run(async () => this.table.patch(await this.member(path), set, remove));
  }
}
