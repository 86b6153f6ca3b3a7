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
import { badRequest } from '@davsync/core';
import { isSimpleRef } from './uri';

/** A syntactically valid Destination. */
export interface Destination {
  /** The value as written (white space trimmed). */
  reference: string;
  /** `scheme://authority`, scheme and host lower-cased, for an absolute URI; `undefined` for an absolute path. */
  origin: string | undefined;
  /** The path, still percent-encoded; `/` when an absolute URI has an empty path. */
  path: string;
  /** The query without `?`, when there is one. */
  query: string | undefined;
}

/** Longest Destination accepted: far beyond any real path, small enough to refuse abuse. */
export const MAX_DESTINATION_LENGTH = 8192;

/**
 * Parses a Destination header value.
 *
 * @throws DavError `bad-request` when it is missing (COPY and MOVE require
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
  const q = reference.indexOf('?');
  const beforeQuery = q < 0 ? reference : reference.slice(0, q);
  const query = q < 0 ? undefined : reference.slice(q + 1);
  if (reference.startsWith('/')) return { reference, origin: undefined, path: beforeQuery, query };

  // absolute-URI: scheme ":" "//" authority path-abempty
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(.*)$/.exec(beforeQuery);
  if (m === null || m[2] === '') throw badRequest('davsync: Destination URI must have a host (scheme://host/path)');
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  // userinfo is case-sensitive, the host is not (RFC 3986 §3.2.2)
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority.toLowerCase() : authority.slice(0, at + 1) + authority.slice(at + 1).toLowerCase();
  return { reference, origin: `${scheme}://${host}`, path: m[3] === '' ? '/' : (m[3] as string), query };
}
