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
