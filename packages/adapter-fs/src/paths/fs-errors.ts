/**
 * Node's filesystem errors as the `DavError`s a client must see. Messages
 * name member paths only: real paths under the root are never exposed.
 * Anything unexpected is passed through unchanged, for the host to log.
 */
import { DavError, type DavErrorCode } from '@davsync/core/base';

/** A Node system error code (`ENOENT`, …), if `err` carries one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const GENERIC: Readonly<Record<string, readonly [DavErrorCode, string]>> = {
  EACCES: ['forbidden', 'permission denied'],
  EPERM: ['forbidden', 'operation not permitted'],
  EROFS: ['forbidden', 'the store is read-only'],
  ELOOP: ['forbidden', 'symbolic links are not followed'],
  EXDEV: ['forbidden', 'the operation would cross a filesystem boundary'],
  ENOSPC: ['insufficient-storage', 'no space left in the store'],
  EDQUOT: ['insufficient-storage', 'disk quota exceeded'],
  EFBIG: ['payload-too-large', 'the file is too large for the store'],
  ENAMETOOLONG: ['bad-request', 'the name or path is too long for the store'],
  EMFILE: ['unavailable', 'too many open files'],
  ENFILE: ['unavailable', 'too many open files'],
};

/**
 * Context-dependent meanings of a code, for one call site (e.g. `ENOENT` on
 * a destination parent is a `conflict`, on a source `not-found`).
 */
export type ErrorOverrides = Readonly<Record<string, () => DavError>>;

/** The `DavError` for a filesystem error about member `path`, or `err` itself when it has no client-facing meaning. */
export function toDavError(err: unknown, path: string, overrides: ErrorOverrides = {}): unknown {
  if (err instanceof DavError) return err;
  const code = errorCode(err);
  if (code === undefined) return err;
  const special = overrides[code];
  if (special !== undefined) return special();
  const generic = GENERIC[code];
  return generic === undefined ? err : new DavError(generic[0], `${generic[1]}: ${path}`, path);
}

/** Runs `work`, turning filesystem errors into `DavError`s (see {@link toDavError}). */
export async function mapFsErrors<T>(path: string, work: () => Promise<T>, overrides?: ErrorOverrides): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toDavError(err, path, overrides);
  }
}
