/**
 * What the client knows of a remote member, and what a change feed
 * reports. Optional fields are the ones servers may not give: mod_dav has
 * no file IDs, some servers omit sizes on collections.
 */
import { DAV, isCollectionEntry, OC, propText, type MultistatusEntry } from '@davsync/protocol';

export type EntryKind = 'file' | 'dir';

export interface RemoteEntry {
  /** Relative to the synced collection, decoded, `/`-separated (see `remote-paths.ts`). */
  readonly path: string;
  readonly kind: EntryKind;
  /** The strong or weak ETag, quotes included, as the server sent it. */
  readonly etag?: string;
  /** `oc:fileid`: stays with the resource across a MOVE, so a rename is seen as one. */
  readonly fileId?: string;
  readonly size?: number;
  /** `DAV:getlastmodified`, as milliseconds since the epoch. */
  readonly modified?: number;
  /** A collection that says it is a CardDAV address book or a CalDAV calendar (its `resourcetype`). */
  readonly davCollection?: 'addressbook' | 'calendar';
  /** `oc:checksums`, when the server knows them: lower-case hex digests of the content. */
  readonly checksums?: Checksums;
}

/** The digests the client can check (`oc:checksum` may name others, such as ADLER32: ignored). */
export interface Checksums {
  readonly sha1?: string;
  readonly md5?: string;
}

export type RemoteChange = { readonly type: 'changed'; readonly entry: RemoteEntry } | { readonly type: 'removed'; readonly path: string };

const CARDDAV_ADDRESSBOOK = '{urn:ietf:params:xml:ns:carddav}addressbook';
const CALDAV_CALENDAR = '{urn:ietf:params:xml:ns:caldav}calendar';

/**
 * The properties asked for in every listing. The ownCloud ones cost a
 * server nothing unless named (a server without them answers 404 for
 * them, which is ignored), and they are what turns a remote rename into a
 * local one (the file ID) and lets a download be verified (checksums).
 */
export const ENTRY_PROPS: readonly string[] = [DAV.getetag, DAV.resourcetype, DAV.getcontentlength, DAV.getlastmodified, OC.fileid, OC.checksums];

/**
 * An ETag with any `W/` taken off. Apache mod_dav marks a file's ETag weak
 * for the first second after a write, then gives the same value strong: as
 * sent, it would look like a remote change a second later, and `If-Match`
 * (a strong comparison) would never pass on it. Without the prefix it is
 * stable, and a server whose ETag really is weak answers a conditional
 * write with 412 — a conflict handled safely — never with an overwrite.
 */
export function comparableEtag(etag: string | null | undefined): string | undefined {
  if (etag === null || etag === undefined) return undefined;
  const strong = (etag.startsWith('W/') ? etag.slice(2) : etag).trim();
  if (strong === '') return undefined;
  // nephele lists `getetag` unquoted (`62b82d66`) while its GET answers `ETag: "62b82d66"`: quoted,
  // the two compare equal, and the value is a valid entity-tag for If-Match.
  return strong.startsWith('"') ? strong : `"${strong.replace(/"/g, '')}"`;
}

/** A remote entry from a response's properties; `slash`: the href ended in `/` (a collection, for servers that omit resourcetype). */
export function entryOf(path: string, response: Pick<MultistatusEntry, 'props'>, slash: boolean): RemoteEntry {
  const kind: EntryKind = isCollectionEntry(response) || slash ? 'dir' : 'file';
  const etag = comparableEtag(propText(response, DAV.getetag));
  const fileId = propText(response, OC.fileid) || undefined;
  const sizeText = propText(response, DAV.getcontentlength);
  const size = sizeText !== undefined && /^[0-9]+$/.test(sizeText) ? Number(sizeText) : undefined;
  const modifiedText = propText(response, DAV.getlastmodified);
  const modified = modifiedText === undefined ? undefined : Date.parse(modifiedText);
  const checksums = kind === 'file' ? checksumsOf(response) : undefined;
  const types = response.props[DAV.resourcetype]?.children.map((c) => c.name) ?? [];
  const davCollection = kind !== 'dir' ? undefined : types.includes(CARDDAV_ADDRESSBOOK) ? 'addressbook' : types.includes(CALDAV_CALENDAR) ? 'calendar' : undefined;
  return {
    path,
    kind,
    ...(davCollection === undefined ? {} : { davCollection }),
    ...(etag === undefined ? {} : { etag }),
    ...(fileId === undefined ? {} : { fileId }),
    ...(size === undefined || kind === 'dir' ? {} : { size }),
    ...(modified === undefined || Number.isNaN(modified) ? {} : { modified }),
    ...(checksums === undefined ? {} : { checksums }),
  };
}

/** The SHA-1 and MD5 in `oc:checksums`, or undefined when it names neither (or is absent). */
function checksumsOf(response: Pick<MultistatusEntry, 'props'>): Checksums | undefined {
  const el = response.props[OC.checksums];
  if (el === undefined) return undefined;
  // Some servers put the pairs straight in oc:checksums, most in one oc:checksum child.
  const texts = [el.text, ...el.children.filter((c) => c.name === OC.checksum).map((c) => c.text)];
  return parseChecksums(texts.join(' '));
}

/** `SHA1:abc MD5:def` (any case, other algorithms ignored) → digests; undefined when none is usable. */
export function parseChecksums(text: string): Checksums | undefined {
  let sha1: string | undefined;
  let md5: string | undefined;
  for (const pair of text.trim().split(/\s+/)) {
    const m = /^(sha1|md5):([0-9a-f]+)$/i.exec(pair);
    if (m === null) continue;
    const hex = (m[2] as string).toLowerCase();
    if (m[1]!.toLowerCase() === 'sha1' && hex.length === 40) sha1 = hex;
    if (m[1]!.toLowerCase() === 'md5' && hex.length === 32) md5 = hex;
  }
  if (sha1 === undefined && md5 === undefined) return undefined;
  return { ...(sha1 === undefined ? {} : { sha1 }), ...(md5 === undefined ? {} : { md5 }) };
}

/** The wire form, for the state database: `SHA1:… MD5:…`. */
export function formatChecksums(sums: Checksums): string {
  return [sums.sha1 === undefined ? '' : `SHA1:${sums.sha1}`, sums.md5 === undefined ? '' : `MD5:${sums.md5}`].filter(Boolean).join(' ');
}

/** Whether a file's digests agree with the server's: every digest both name must be equal, and at least one must be named. */
export function checksumsMatch(server: Checksums, file: Checksums): boolean {
  let compared = 0;
  for (const k of ['sha1', 'md5'] as const) {
    if (server[k] === undefined || file[k] === undefined) continue;
    if (server[k] !== file[k]) return false;
    compared++;
  }
  return compared > 0;
}
