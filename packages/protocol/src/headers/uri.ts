/**
 * The RFC 3986 pieces WebDAV headers are built from (RFC 4918 §8.3, §10.1):
 *
 * ```
 * absolute-URI  = scheme ":" hier-part [ "?" query ]        ; RFC 3986 §4.3
 * scheme        = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
 * path-absolute = "/" [ segment-nz *( "/" segment ) ]       ; RFC 3986 §3.3
 * pchar         = unreserved / pct-encoded / sub-delims / ":" / "@"
 * query         = *( pchar / "/" / "?" )
 * Simple-ref    = absolute-URI | ( path-absolute [ "?" query ] )   ; RFC 4918 §8.3
 * Coded-URL     = "<" absolute-URI ">"                               ; RFC 4918 §10.1
 * ```
 *
 * The checks are on the character level (plus the scheme and the leading
 * `/` of a path): no white space, no fragment, no characters RFC 3986 does
 * not allow, and well-formed percent-encoding. They do not take the
 * authority apart; whoever resolves a URI does that.
 */

/** unreserved / sub-delims / ":" / "@" / "/" / "?", plus "[" "]" for IP literals in an authority. */
const URI_CHAR = "[A-Za-z0-9\\-._~!$&'()*+,;=:@/?\\[\\]]|%[0-9A-Fa-f]{2}";
const PATH_CHAR = "[A-Za-z0-9\\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}";
const QUERY_CHAR = "[A-Za-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}";

const ABSOLUTE_URI = new RegExp(`^[A-Za-z][A-Za-z0-9+.\\-]*:(?:${URI_CHAR})*$`);
const PATH_ABSOLUTE = new RegExp(`^/(?!/)(?:${PATH_CHAR})*(?:\\?(?:${QUERY_CHAR})*)?$`);

/** RFC 3986 §4.3 `absolute-URI`, e.g. `urn:uuid:…`, `DAV:no-lock`, `http://example.com/ns/sync/1`. */
export function isAbsoluteUri(s: string): boolean {
  return ABSOLUTE_URI.test(s);
}

/** RFC 4918 §8.3 `Simple-ref`: an absolute URI, or an absolute path with an optional query. */
export function isSimpleRef(s: string): boolean {
  return ABSOLUTE_URI.test(s) || PATH_ABSOLUTE.test(s);
}

/** A {@link isSimpleRef Simple-ref} taken apart. */
export interface SimpleRef {
  /** `scheme://authority`, scheme and host lower-cased, for an absolute URI; `undefined` for an absolute path. */
  readonly origin: string | undefined;
  /** The path, still percent-encoded; `/` when an absolute URI has an empty path. */
  readonly path: string;
  /** The query without `?`, when there is one. */
  readonly query: string | undefined;
}

/**
 * Takes a Simple-ref apart, or returns `undefined` when `reference` is not
 * one, or is an absolute URI without an authority (`urn:…` names no place
 * on a server). Paths are left encoded and unresolved: the caller decodes
 * them segment by segment, as it does a request target.
 *
 * @example splitSimpleRef('http://WWW.example.com/b%20c?x') → { origin: 'http://www.example.com', path: '/b%20c', query: 'x' }
 */
export function splitSimpleRef(reference: string): SimpleRef | undefined {
  if (!isSimpleRef(reference)) return undefined;
  const q = reference.indexOf('?');
  const beforeQuery = q < 0 ? reference : reference.slice(0, q);
  const query = q < 0 ? undefined : reference.slice(q + 1);
  if (reference.startsWith('/')) return { origin: undefined, path: beforeQuery, query };
  // absolute-URI: scheme ":" "//" authority path-abempty
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(.*)$/.exec(beforeQuery);
  if (m === null || m[2] === '') return undefined;
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  // userinfo is case-sensitive, the host is not (RFC 3986 §3.2.2)
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority.toLowerCase() : authority.slice(0, at + 1) + authority.slice(at + 1).toLowerCase();
  return { origin: `${scheme}://${host}`, path: m[3] === '' ? '/' : (m[3] as string), query };
}
