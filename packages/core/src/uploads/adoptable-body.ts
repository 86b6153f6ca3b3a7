/**
 * A body whose bytes already lie in a file the writer may take over: a
 * completed resumable upload on the fs store. Writing such a body the
 * ordinary way copies every byte once more (read from the upload, write to
 * the staged file); a store that keeps files on the same filesystem can
 * instead rename the upload's file into its staging area and publish it as
 * if it had written it — half the disk writes for a big upload.
 *
 * The offer travels with the body as a symbol-keyed property, so a body
 * that does not carry it (or a store that ignores it) takes the ordinary
 * path unchanged. Wrappers that yield every byte unchanged or fail
 * (hashing, the request body's idle timeout) pass the offer on with
 * {@link passAdoption}: the writer still reads the body to its end, so
 * checksums and block hashes are computed over exactly the adopted bytes,
 * and a failure fails the write. Wrappers that could change the bytes or
 * end early without failing must not pass it on.
 *
 * Adopting consumes the upload (the fs store removes its record too): a
 * write that then fails, or a crash before the member is published,
 * leaves no upload to resume; the client starts over.
 */
import type { ByteStream } from '../entry';

const ADOPTION = Symbol.for('davsync.adoptableFile');

export interface AdoptableFile {
  /** The body's length in bytes: what the adopted file must hold. */
  readonly size: number;
  /**
   * Moves the bytes into a file in `dir` (a rename; the body then reads
   * from there) and returns its path, now the caller's. Undefined when
   * the file cannot be moved there cheaply (another filesystem): the
   * caller then reads the body as usual. Call before reading the body.
   */
  adopt(dir: string): Promise<string | undefined>;
  /** True once `adopt` has moved the file: its bytes are no longer the upload's. */
  readonly adopted: boolean;
  /** The stream the offer was made on: reading it only yields the file's bytes again. */
  readonly origin: ByteStream;
}

/** The adoption offered with `body`, if any. */
export function adoptionOf(body: ByteStream): AdoptableFile | undefined {
  return (body as { [ADOPTION]?: AdoptableFile })[ADOPTION];
}

/** Attaches `offer` to `body` (which must be `offer.origin`, or a wrapper that yields its bytes unchanged); returns `body`. */
export function offerAdoption<T extends ByteStream>(body: T, offer: AdoptableFile): T {
  Object.defineProperty(body, ADOPTION, { value: offer, enumerable: false });
  return body;
}

/** Passes the offer of `from` (if any) to `to`, a wrapper yielding the same bytes in full; returns `to`. */
export function passAdoption<T extends ByteStream>(from: ByteStream, to: T): T {
  const offer = adoptionOf(from);
  return offer === undefined ? to : offerAdoption(to, offer);
}
