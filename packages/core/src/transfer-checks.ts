/**
 * The argument checks of `StorageAdapter.copy` and `move`, in one place for
 * every adapter. The contract orders them: the source must exist
 * (`not-found`), then {@link checkTransferPaths}, then the destination's
 * parent (`conflict`, the adapter's own lookup), then
 * {@link checkOverwrite}. An adapter runs them under whatever makes its
 * mutation atomic.
 */
import { forbidden, preconditionFailed } from './errors';
import { isWithin } from './paths';

/** `forbidden` when the destination is the source, lies inside it, or contains it (replacing it would remove the source). */
export function checkTransferPaths(src: string, dst: string): void {
  if (isWithin(dst, src)) throw forbidden(dst === src ? 'source and destination are the same' : 'the destination lies inside the source', dst);
  if (isWithin(src, dst)) throw forbidden('replacing the destination would remove the source', dst);
}

/** `precondition-failed` when the destination exists and `overwrite` is off. */
export function checkOverwrite(dst: string, exists: boolean, overwrite: boolean): void {
  if (exists && !overwrite) throw preconditionFailed('the destination exists and overwrite is off', dst);
}
