/**
 * How the filesystem store keeps a file's checksums: an internal property
 * of the property table (like a PUT's media type, `dead-properties.ts`), so
 * they follow the file on MOVE, vanish with it on DELETE and come in one
 * query for a whole folder (`PropertyTable.valuesIn`) — no schema change.
 *
 * Each value names the file version it describes: its identity, the same
 * inode, size and mtime in nanoseconds its ETag is made of (`etag.ts`).
 * Another program editing the file changes that identity, so the stored
 * checksums stop applying at once — they are never served for content
 * they were not computed from — until the file is hashed again
 * (`checksum-backfill.ts`).
 */
import type { BigIntStats } from 'node:fs';
import { isChecksums, ROOT, type Checksums } from '@davsync/core';
import { fileEtag } from '../listing/etag';
import { INTERNAL_NAMESPACE } from '../properties/dead-properties';
import type { PropertyTable } from '../properties/property-table';
import type { CopiedFile } from '../writes/tree-copy';

/** The internal property holding a file's checksums and the identity they belong to. */
export const CHECKSUMS_PROPERTY = `{${INTERNAL_NAMESPACE}}checksums`;

/** The stored form: `{"of":"<identity>","sha1":…,"md5":…,"sha256":…}`. */
export function encodeChecksums(identity: string, checksums: Checksums): string {
  return JSON.stringify({ of: identity, ...checksums });
}

/**
 * The checksums a stored value holds if they belong to the file version
 * `identity` (its ETag), else `undefined` — as for a value that is missing
 * or does not parse (a state database written by something else).
 */
export function checksumsFor(stored: string | undefined, identity: string): Checksums | undefined {
  if (stored === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { of, ...sums } = parsed as Record<string, unknown>;
  return of === identity && isChecksums(sums) && Object.keys(sums).length > 0 ? sums : undefined;
}

/**
 * Stores the checksums a COPY computed from the bytes it copied, under the
 * copies' own identities (the source's, copied with its properties, name
 * the source's inode, not the copies').
 */
export async function storeCopiedChecksums(table: PropertyTable, target: string, copied: readonly CopiedFile[]): Promise<void> {
  for (const file of copied) {
    const path = target === ROOT ? file.relative : target + file.relative;
    await table.patch(path, { [CHECKSUMS_PROPERTY]: encodeChecksums(fileEtag(file.stats), file.checksums) }, []);
  }
}

/**
 * Carries a file's checksums over a change of its time alone, which
 * davsync made itself (`setModified`): the time is part of the identity
 * the checksums are tagged with, so without this they would stop applying
 * and the unchanged content would be hashed again in the background —
 * while rclone, which sets the time right after a `copyto` or `moveto`,
 * finds no hash to compare. Re-tagged only when they were valid for the
 * file as it was just before (`before`) and only the time moved (same
 * inode and size): an edit by another program before that stays an edit.
 * The caller holds the commit lock.
 */
export async function retagChecksums(table: PropertyTable, path: string, before: BigIntStats, after: BigIntStats): Promise<void> {
  if (!after.isFile() || after.ino !== before.ino || after.size !== before.size) return;
  const stored = (await table.get(path))[CHECKSUMS_PROPERTY];
  const checksums = checksumsFor(stored, fileEtag(before));
  if (checksums !== undefined) await table.patch(path, { [CHECKSUMS_PROPERTY]: encodeChecksums(fileEtag(after), checksums) }, []);
}
