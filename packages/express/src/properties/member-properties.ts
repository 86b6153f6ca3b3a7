/**
 * Properties of a member: the live ones computed from its entry (RFC 4918
 * §15, RFC 3253 §3.1.5, RFC 6578 §4) and the dead ones from the store.
 * The one answer to "what is property X of member M" in full-server mode;
 * wrap mode's is `host-properties.ts`, and both take the entry's values
 * from `entry-properties.ts` and the sync properties from
 * `sync/sync-properties.ts`.
 */
import { DavError, type Entry, type LockStore, type SyncLog } from '@davsync/core';
import { lockDiscoveryValue, SUPPORTED_LOCK } from '../locks/lock-properties';
import type { MemberReader } from '../context';
import { syncPropertyValue } from '../sync/sync-properties';
import { DAV, type PropEntry, type PropRequest, type PropValue } from '@davsync/protocol';
import { entryPropertiesFor, entryValue, PROTECTED, type MemberPropstats } from './entry-properties';
import { OC_CHECKSUMS } from './checksum-properties';

/** Live properties returned by allprop (RFC 4918 §9.1: those it defines). */
const ALLPROP_LIVE: readonly string[] = [
  DAV.resourcetype,
  DAV.getetag,
  DAV.getcontentlength,
  DAV.getcontenttype,
  DAV.getlastmodified,
  DAV.creationdate,
  DAV.displayname,
  DAV.lockdiscovery,
  DAV.supportedlock,
];

/** What property computation needs from the request. */
export interface PropertySource {
  /** For the sync properties. */
  readonly sync: Pick<SyncLog, 'currentToken'>;
  /** For dead properties, when the members have them. */
  readonly members: Pick<MemberReader, 'properties'>;
  /** For `DAV:lockdiscovery`: the store's locks (absent: no locking here, the properties are not ours). */
  readonly lockStore?: Pick<LockStore, 'locksCovering'> | undefined;
  /** For the lock roots' hrefs in `DAV:lockdiscovery`. */
  href(path: string, collection: boolean): string;
}

/** Names of the live properties a member has (for propname and allprop). */
function liveNames(entry: Entry): string[] {
  const names: string[] = [DAV.resourcetype, DAV.getetag];
  if (!entry.collection) names.push(DAV.getcontentlength);
  if (!entry.collection && entry.contentType !== undefined) names.push(DAV.getcontenttype);
  if (entry.modified !== undefined) names.push(DAV.getlastmodified);
  if (entry.created !== undefined) names.push(DAV.creationdate);
  if (entry.displayName !== undefined) names.push(DAV.displayname);
  if (entry.checksums !== undefined) names.push(OC_CHECKSUMS);
  if (entry.collection) names.push(DAV.supportedReportSet, DAV.syncToken);
  names.push(DAV.lockdiscovery, DAV.supportedlock);
  return names;
}

/** The value of one live property, or `undefined` when the member does not have it. */
async function liveValue(name: string, entry: Entry, src: PropertySource): Promise<PropValue | undefined> {
  switch (name) {
    case DAV.supportedReportSet:
    case DAV.syncToken:
      // RFC 6578 §3.2, §4: on every collection (the journal knows them all).
      return entry.collection ? syncPropertyValue(name, entry.path, src.sync) : undefined;
    case DAV.lockdiscovery: {
      if (src.lockStore === undefined) return undefined;
      // A lock rooted above the member is depth infinity, so on a collection.
      const rootHref = (lock: { root: string }): string => src.href(lock.root, lock.root === entry.path ? entry.collection : true);
      return lockDiscoveryValue(await src.lockStore.locksCovering(entry.path), rootHref, Date.now());
    }
    case DAV.supportedlock:
      return src.lockStore === undefined ? undefined : SUPPORTED_LOCK;
    default:
      return entryValue(name, entry);
  }
}

/**
 * The propstat content for a member: found properties with values (or
 * without, for propname) and the names it does not have (a 404 propstat).
 */
export async function propertiesOf(entry: Entry, request: PropRequest, src: PropertySource): Promise<MemberPropstats> {
  const fromEntry = entryPropertiesFor(request);
  if (fromEntry !== undefined) return fromEntry(entry);
  // A request for protected (live) properties only, such as getetag, never
  // reads a stored value: skip the store, which may cost a lookup per member.
  const liveOnly = request.kind === 'prop' && request.names.every((name) => PROTECTED.has(name));
  const dead: Record<string, string> = liveOnly ? {} : await deadPropertiesOf(entry.path, src);
  if (request.kind === 'propname') {
    const names = new Set([...liveNames(entry), ...Object.keys(dead)]);
    return { found: [...names].map((name) => ({ name })), missing: [] };
  }
  const names = request.kind === 'prop' ? request.names : [...ALLPROP_LIVE, ...Object.keys(dead), ...request.include];
  const found: PropEntry[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const stored = dead[name];
    const value = stored !== undefined && !PROTECTED.has(name) ? { xml: stored } : await liveValue(name, entry, src);
    if (value !== undefined) found.push({ name, value });
    else if (request.kind === 'prop' || request.include.includes(name)) missing.push(name);
  }
  return { found, missing };
}

/**
 * A member's dead properties. A member removed since it was listed has none;
 * any other failure (a store that is unavailable) is an error, not an empty
 * set: answering "no properties" would tell the client they were removed.
 */
async function deadPropertiesOf(path: string, src: PropertySource): Promise<Record<string, string>> {
  const store = src.members.properties;
  if (store === undefined) return {};
  try {
    return await store.get(path);
  } catch (err) {
    if (err instanceof DavError && err.code === 'not-found') return {};
    throw err;
  }
}

