/**
 * A member's `Entry` from the facts of its `lstat` (see `member-facts.ts`)
 * and its media type. Listings build thousands of these per PROPFIND, so
 * they take the folder's stored media types in one map rather than a query
 * per member.
 */
import type { Checksums, Entry } from '@davsync/core';
import { checksumsFor } from '../checksums/stored-checksums';
import { contentTypeFor } from '../properties/content-type';
import type { MemberFacts } from '../listing/member-facts';

/** No stored media types: for a collection, or a file whose type is looked up on its own. */
export const NO_TYPES: ReadonlyMap<string, string> = new Map();

/** No stored checksums: a listing not asked for them. */
export const NO_STORED: ReadonlyMap<string, string> = new Map();

/**
 * A member's entry, given the stored media types and checksums of its folder
 * (`PropertyTable.valuesIn`; checksums only where they name this version)
 * and its file ID (`file-ids.ts`).
 */
export function entryOf(
  path: string,
  facts: MemberFacts,
  types: ReadonlyMap<string, string>,
  fileId: string,
  sums: ReadonlyMap<string, string> = NO_STORED,
): Entry {
  if (facts.kind === 'collection') return { path, collection: true, etag: facts.etag, fileId, ...datesOf(facts) };
  return fileEntry(path, facts, types.get(path) ?? contentTypeFor(path), fileId, checksumsFor(sums.get(path), facts.etag));
}

/** A file's entry, with the media type it has (stored, or implied by its name) and its checksums when known. */
export function fileEntry(path: string, facts: MemberFacts, contentType: string, fileId: string, checksums?: Checksums): Entry {
  const entry: Entry = { path, collection: false, etag: facts.etag, fileId, size: facts.size, contentType, ...datesOf(facts) };
  return checksums === undefined ? entry : { ...entry, checksums };
}

/** Fresh dates (millisecond precision) for an entry; no creation date where the filesystem keeps none. */
function datesOf(facts: MemberFacts): { modified: Date; created?: Date } {
  const modified = new Date(facts.modifiedMs);
  return facts.createdMs >= 0 ? { modified, created: new Date(facts.createdMs) } : { modified };
}
