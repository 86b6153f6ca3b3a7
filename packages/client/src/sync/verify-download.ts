/**
 * The check a finished download passes before it is installed: the
 * server's listed checksums against the bytes received.
 */
import type { RemoteCollection } from '../remote/remote-collection';
import { checksumsMatch, type RemoteEntry } from '../remote/remote-entry';

export type Downloaded = Awaited<ReturnType<RemoteCollection['download']>>;

/**
 * Why a download must not be installed, or undefined when it may: the
 * server listed checksums for the version fetched and the bytes do not
 * match them (a corrupt transfer — reported, tried again next pass), or
 * the GET brought a newer version than the listing (its checksums are not
 * known yet — deferred: the next pass lists it).
 */
export function verifyDownload(listed: RemoteEntry | undefined, got: Downloaded): { reason: string; stale: boolean } | undefined {
  if (listed?.checksums === undefined) return undefined;
  if (got.etag !== undefined && listed.etag !== undefined && got.etag !== listed.etag) return { reason: 'changed on the server meanwhile (a newer version than listed)', stale: true };
  if (checksumsMatch(listed.checksums, got.digests)) return undefined;
  const want = listed.checksums.sha1 !== undefined ? `SHA-1 ${listed.checksums.sha1}` : `MD5 ${listed.checksums.md5}`;
  const have = listed.checksums.sha1 !== undefined ? got.digests.sha1 : got.digests.md5;
  return { reason: `the bytes received do not match the server's checksum (${want}, received ${have}): not installed, tried again next pass`, stale: false };
}
