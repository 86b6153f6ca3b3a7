/**
 * Checksums in the ownCloud/Nextcloud dialect (issue 17), the one rclone's
 * `owncloud` and `nextcloud` vendors speak: `oc:checksums` in PROPFIND,
 * holding one `oc:checksum` whose text is space-separated `ALGO:hex` pairs
 * (`SHA1:… MD5:… SHA256:…`; rclone lower-cases the text and takes the
 * `sha1:` and `md5:` pairs), and the `OC-Checksum` request header on PUT
 * (`SHA1:<hex>`), verified against the body.
 *
 * An extension, never the RFC default: `oc:checksums` is not part of
 * allprop (RFC 4918 §9.1 limits it to the RFC's properties); it is answered
 * when named, and it is protected (a client cannot PROPPATCH it). A file
 * whose checksums the store does not know yet (written by another program
 * and not hashed yet) answers it 404 rather than a guess.
 */
import { badRequest, CHECKSUM_ALGORITHMS, DIGEST_LENGTH, type ChecksumAlgorithm, type Checksums, type Entry } from '@davsync/core';
import { OC, type PropRequest, type PropValue } from '@davsync/protocol';


/** How each algorithm is spelled in `oc:checksum` and `OC-Checksum`. */
const WIRE_NAME: Readonly<Record<ChecksumAlgorithm, string>> = { sha1: 'SHA1', md5: 'MD5', sha256: 'SHA256' };
const BY_WIRE_NAME: ReadonlyMap<string, ChecksumAlgorithm> = new Map(CHECKSUM_ALGORITHMS.map((a) => [WIRE_NAME[a], a]));

/** `oc:checksums` of a file whose checksums are known; `undefined` otherwise (and for collections). */
export function checksumsValue(entry: Entry): PropValue | undefined {
  const sums = entry.checksums;
  if (entry.collection || sums === undefined) return undefined;
  const pairs = CHECKSUM_ALGORITHMS.filter((a) => sums[a] !== undefined).map((a) => `${WIRE_NAME[a]}:${sums[a]}`);
  return pairs.length === 0 ? undefined : { children: [{ name: OC.checksum, text: pairs.join(' ') }] };
}

/**
 * The `OC-Checksum` response header of a file on GET and HEAD: one
 * `ALGO:hex` pair, as Nextcloud sends it (`SHA1:…`) — SHA-1 when stored,
 * else MD5, else SHA-256 — so a client can check a download without a
 * PROPFIND. `undefined` when no checksum is known. An extension header:
 * clients that do not know it ignore it.
 */
export function ocChecksumHeader(entry: Entry): string | undefined {
  const sums = entry.checksums;
  if (entry.collection || sums === undefined) return undefined;
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => sums[a] !== undefined);
  return algorithm === undefined ? undefined : `${WIRE_NAME[algorithm]}:${sums[algorithm]}`;
}

/**
 * True when a PROPFIND asks for `oc:checksums` (by name, or a `propname`,
 * which lists it where a file has them), so a listing must bring the
 * stored checksums along.
 */
export function wantsChecksums(request: PropRequest): boolean {
  if (request.kind === 'prop') return request.names.includes(OC.checksums);
  if (request.kind === 'propname') return true;
  return request.include.includes(OC.checksums);
}

const PAIR = /^([A-Za-z0-9-]+):([0-9A-Fa-f]+)$/;

/**
 * The digests an `OC-Checksum` header announces: one or more space-separated
 * `ALGO:hex` pairs, the algorithm case-insensitive. Pairs of an algorithm
 * davsync does not compute (ownCloud's `ADLER32`) are not verified. A header
 * that is not of that form, or a digest of the wrong length, is a
 * `bad-request` — refused before the body is read, so nothing is stored.
 */
export function parseOcChecksum(header: string | undefined): Checksums | undefined {
  if (header === undefined) return undefined;
  const tokens = header.trim().split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0 || tokens.length > 8) throw badRequest(`davsync: malformed OC-Checksum header: expected ALGO:hex pairs`);
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const token of tokens) {
    const match = PAIR.exec(token);
    if (match === null) throw badRequest(`davsync: malformed OC-Checksum header: expected ALGO:hex, got ${JSON.stringify(token.slice(0, 40))}`);
    const algorithm = BY_WIRE_NAME.get((match[1] as string).toUpperCase());
    if (algorithm === undefined) continue;
    const hex = (match[2] as string).toLowerCase();
    if (hex.length !== DIGEST_LENGTH[algorithm]) throw badRequest(`davsync: malformed OC-Checksum header: a ${WIRE_NAME[algorithm]} digest has ${DIGEST_LENGTH[algorithm]} hex digits`);
    out[algorithm] = hex;
  }
  return out;
}
