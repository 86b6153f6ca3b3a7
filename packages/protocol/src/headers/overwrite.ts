/**
 * The Overwrite header (RFC 4918 §10.6):
 *
 * ```
 * Overwrite = "Overwrite" ":" ("T" | "F")
 * ```
 *
 * "If a resource does not contain the Overwrite header it MUST treat the
 * request as if it has an Overwrite header of value "T"" (§10.6).
 */
import { badRequest } from '../protocol-error';

/**
 * True when COPY/MOVE may overwrite an existing destination. Absent → true;
 * `t`/`f` are accepted as ABNF literals are case-insensitive (RFC 5234 §2.3).
 *
 * @throws ProtocolError `bad-request` for any other value.
 * @example parseOverwrite('F') === false; parseOverwrite(undefined) === true
 */
export function parseOverwrite(value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (v === 'T' || v === 't') return true;
  if (v === 'F' || v === 'f') return false;
  throw badRequest(`davsync: Overwrite must be T or F, not ${JSON.stringify(value.slice(0, 40))}`);
}
