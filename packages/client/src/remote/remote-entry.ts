/**
 * What the client knows of a remote member, and what a change feed
 * reports. Optional fields are the ones servers may not give: mod_dav has
 * no file IDs, some servers omit sizes on collections.
 */
import { DAV, isCollectionEntry, propText, type MultistatusEntry } from '@davsync/protocol';

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
}

export type RemoteChange = { readonly type: 'changed'; readonly entry: RemoteEntry } | { readonly type: 'removed'; readonly path: string };

/** ownCloud/Nextcloud's namespace; davsync's server offers `oc:fileid` too. */
export const OC_NS = 'http://owncloud.org/ns';
export const OC_FILEID = `{${OC_NS}}fileid`;

const CARDDAV_ADDRESSBOOK = '{urn:ietf:params:xml:ns:carddav}addressbook';
const CALDAV_CALENDAR = '{urn:ietf:params:xml:ns:caldav}calendar';

/** The properties asked for in every listing. */
export const ENTRY_PROPS: readonly string[] = [DAV.getetag, DAV.resourcetype, DAV.getcontentlength, DAV.getlastmodified, OC_FILEID];

/**
 * An ETag with any `W/` taken off. Apache mod_dav marks a file's ETag weak
 * for the first second after a write, then gives the same value strong: as
 * sent, it would look like a remote change a second later, and `If-Match`
 * (a strong comparison) would never pass on it. Without the prefix it is
 * stable, and a server whose ETag really is weak answers a conditional
 * write with 412 — a conflict handled safely — never with an overwrite.
 */
export function comparableEtag(etag: string | null | undefined): string | undefined {
  if (etag === null || etag === undefined || etag === '') return undefined;
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}

/** A remote entry from a response's properties; `slash`: the href ended in `/` (a collection, for servers that omit resourcetype). */
export function entryOf(path: string, response: Pick<MultistatusEntry, 'props'>, slash: boolean): RemoteEntry {
  const kind: EntryKind = isCollectionEntry(response) || slash ? 'dir' : 'file';
  const etag = comparableEtag(propText(response, DAV.getetag));
  const fileId = propText(response, OC_FILEID) || undefined;
  const sizeText = propText(response, DAV.getcontentlength);
  const size = sizeText !== undefined && /^[0-9]+$/.test(sizeText) ? Number(sizeText) : undefined;
  const modifiedText = propText(response, DAV.getlastmodified);
  const modified = modifiedText === undefined ? undefined : Date.parse(modifiedText);
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
  };
}
