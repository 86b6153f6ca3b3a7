/**
 * The Destination header (RFC 4918 §10.3, §8.3):
 *
 * ```
 * Destination = "Destination" ":" Simple-ref
 * Simple-ref  = absolute-URI | ( path-absolute [ "?" query ] )
 * ```
 *
 * "the semantics of a Simple-ref is the same as that of an absolute URI
 * formed by resolving it against the Request-URI" (§8.3). This parser only
 * takes the value apart; the caller checks that the origin is this server
 * and the path lies under the mount point (else 502, RFC 4918 §9.8.5), and
 * decodes the path segment by segment as it does the request target.
 */
import { badRequest } from '../protocol-error';
import { isSimpleRef, splitSimpleRef, type SimpleRef } from './uri';

/** A syntactically valid Destination. */
export interface Destination extends SimpleRef {
  /** The value as written (white space trimmed). */
  readonly reference: string;
}

/** Longest Destination accepted: far beyond any real path, small enough to refuse abuse. */
export const MAX_DESTINATION_LENGTH = 8192;

/**
 * Parses a Destination header value.
 *
 * @throws ProtocolError `bad-request` when it is missing (COPY and MOVE require
 *   it), not a Simple-ref (white space, a fragment, bad percent-encoding, a
 *   relative reference), or an absolute URI without an authority
 *   (`urn:…` names no place to copy to).
 * @example parseDestination('http://www.example.com/b%20c?x') → { origin: 'http://www.example.com', path: '/b%20c', query: 'x', … }
 */
export function parseDestination(value: string | undefined): Destination {
  if (value === undefined) throw badRequest('davsync: the Destination header is required');
  const reference = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (reference.length > MAX_DESTINATION_LENGTH) throw badRequest('davsync: Destination is too long');
  if (!isSimpleRef(reference)) {
    throw badRequest(`davsync: Destination is not an absolute URI or path: ${JSON.stringify(reference.slice(0, 80))}`);
  }
  const parts = splitSimpleRef(reference);
  if (parts === undefined) throw badRequest('davsync: Destination URI must have a host (scheme://host/path)');
  return { reference, ...parts };
}
