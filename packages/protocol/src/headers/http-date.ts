/**
 * HTTP-dates (RFC 9110 §5.6.7), read in one place: Windows'
 * `Win32LastModifiedTime` property (`client-time.ts`'s neighbour in the
 * ownCloud dialect) and WebDAV-Push's `expires` (`xml/push.ts`) both carry
 * one. Only the IMF-fixdate form is accepted: it is what both senders
 * produce, and the obsolete forms are not worth their ambiguity.
 */

// RFC 9110 §5.6.7 IMF-fixdate (`Wed, 02 Dec 2026 07:00:00 GMT`).
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** An HTTP-date (IMF-fixdate) as a date; `undefined` for anything else or an impossible date. */
export function parseHttpDate(text: string): Date | undefined {
  const t = text.trim();
  if (!IMF_FIXDATE.test(t)) return undefined;
  const ms = Date.parse(t);
  // Date.parse rolls 31 Feb over to March: a date that does not print back the same is refused.
  if (Number.isNaN(ms) || new Date(ms).toUTCString() !== t) return undefined;
  return new Date(ms);
}
