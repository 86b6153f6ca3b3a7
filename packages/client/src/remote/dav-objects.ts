/**
 * CardDAV and CalDAV members ("DAV objects": one vCard or one iCalendar
 * object per resource), told apart by the file name's extension — the name
 * is all a local file has. They differ from plain files in two ways the
 * sync must know:
 * - a server takes them only with their media type (Radicale stores what
 *   it parses; a CalDAV server may answer 415 to anything else);
 * - a server may store something other than the bytes it was sent (Radicale
 *   re-serializes: bare LF line ends come back as CRLF) and still answer
 *   the PUT with the ETag of what it stored. So after an upload the client
 *   reads the member back, and when it differs the server's version
 *   becomes the local file (see the executor) — otherwise the two sides
 *   would differ for good while the state says they agree.
 */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.vcf': 'text/vcard; charset=utf-8',
  '.vcard': 'text/vcard; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
};

/** The Content-Type a DAV object is uploaded with, or undefined for a plain file. */
export function davObjectType(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
  return MEDIA_TYPES[path.slice(dot).toLowerCase()];
}

/** Whether the server may store a rewritten version of what it was sent (a vCard or iCalendar member). */
export function mayBeRewritten(path: string): boolean {
  return davObjectType(path) !== undefined;
}
