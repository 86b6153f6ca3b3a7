/**
 * The ownCloud/Nextcloud dialect's properties (docs/clients.md lists each
 * extension and what plain WebDAV clients see):
 *
 * - `oc:fileid` and `oc:id`: the member's stable identity (`Entry.fileId`),
 *   live and protected, so sync clients can tell a rename from a delete and
 *   an add;
 * - the modification-time properties a client sets with PROPPATCH:
 *   `DAV:lastmodified` (Unix seconds; rclone, the ownCloud dialect; not
 *   RFC 4918's `getlastmodified`, which stays protected) and Windows'
 *   `Win32LastModifiedTime` (an HTTP-date, also kept as the dead property
 *   Windows reads back). Each sets the member's modification time, which
 *   `DAV:getlastmodified` then reports.
 */
import type { Entry } from '@davsync/core';
import { OC, parseHttpDate, parseUnixSeconds, type PropValue } from '@davsync/protocol';

/** Live ownCloud properties: answered from the entry, refused by PROPPATCH. */
export const OWNCLOUD_LIVE: readonly string[] = [OC.fileid, OC.id];

/** The value of an ownCloud live property, or `undefined` (not ours, or the store keeps no file IDs). */
export function ownCloudValue(name: string, entry: Entry): PropValue | undefined {
  if ((name === OC.fileid || name === OC.id) && entry.fileId !== undefined) return { text: entry.fileId };
  return undefined;
}

/** The ownCloud live properties a member has (for propname). */
export function ownCloudNames(entry: Entry): string[] {
  return entry.fileId === undefined ? [] : [...OWNCLOUD_LIVE];
}

/** A PROPPATCH property that sets the modification time: how its value reads, and whether it is also stored. */
interface TimeProperty {
  readonly parse: (text: string) => Date | undefined;
  /** Kept as a dead property as well, for the client that reads it back. */
  readonly stored: boolean;
  /** The value's form, for the refusal of a bad one. */
  readonly form: string;
}

/** `DAV:lastmodified`, the name rclone and the ownCloud dialect PROPPATCH. */
export const OC_LASTMODIFIED = '{DAV:}lastmodified';
/** Windows' Mini-Redirector sets this on every file it writes. */
export const WIN32_LASTMODIFIED = '{urn:schemas-microsoft-com:}Win32LastModifiedTime';

const TIME_PROPERTIES: ReadonlyMap<string, TimeProperty> = new Map([
  [OC_LASTMODIFIED, { parse: parseUnixSeconds, stored: false, form: 'Unix seconds between 1970 and 9999' }],
  [WIN32_LASTMODIFIED, { parse: parseHttpDate, stored: true, form: 'an HTTP-date (IMF-fixdate)' }],
]);

/** True when PROPPATCH setting `name` sets the member's modification time. */
export const isTimeProperty = (name: string): boolean => TIME_PROPERTIES.has(name);

/** True when a time property is also kept as a dead property. */
export const isStoredTimeProperty = (name: string): boolean => TIME_PROPERTIES.get(name)?.stored === true;

/**
 * The time a PROPPATCH `set` of a time property gives, from the serialised
 * property element (`parsePropPatch`'s value form), or the reason it is not
 * one: a value with child elements, or text that is not the property's form.
 */
export function clientTimeOf(name: string, serialized: string): { time: Date } | { refused: string } {
  const property = TIME_PROPERTIES.get(name);
  if (property === undefined) return { refused: `${name} is not a modification-time property` };
  const text = textContent(serialized);
  const time = text === undefined ? undefined : property.parse(text);
  return time === undefined ? { refused: `the value of ${name} must be ${property.form}` } : { time };
}

// The serialised element: a start tag (with its namespace declarations), text, an end tag; or empty.
const SIMPLE_ELEMENT = /^<[^<>]*>([^<>]*)<\/[^<>]*>$/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of an element with no child elements, or `undefined`. */
function textContent(serialized: string): string | undefined {
  const m = SIMPLE_ELEMENT.exec(serialized);
  if (m === null) return undefined;
  return (m[1] as string).replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e] as string);
}
