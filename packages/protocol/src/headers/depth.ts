/**
 * The Depth header (RFC 4918 §10.2):
 *
 * ```
 * Depth = "Depth" ":" ("0" | "1" | "infinity")
 * ```
 *
 * Which values a method accepts, and what an absent header means, is the
 * method's business (PROPFIND: infinity, RFC 4918 §9.1; REPORT
 * sync-collection: only 0, RFC 6578 §3.2, and the Depth value stands in for
 * a missing DAV:sync-level, Appendix A).
 */
import { badRequest } from '../protocol-error';

/** RFC 4918 §10.2 */
export type Depth = 0 | 1 | 'infinity';

/**
 * Parses a Depth header value; `undefined` when the header is absent.
 * Surrounding white space is ignored and `infinity` is case-insensitive
 * (ABNF literals are, RFC 5234 §2.3).
 *
 * @throws ProtocolError `bad-request` for any other value.
 * @example parseDepth('1') === 1; parseDepth(undefined) === undefined; parseDepth('2') // throws
 */
export function parseDepth(value: string | undefined): Depth | undefined {
  if (value === undefined) return undefined;
  const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (v === '0') return 0;
  if (v === '1') return 1;
  if (v.toLowerCase() === 'infinity') return 'infinity';
  throw badRequest(`davsync: Depth must be 0, 1 or infinity, not ${JSON.stringify(value.slice(0, 40))}`);
}
