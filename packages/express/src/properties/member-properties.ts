/**
 * Properties of a member: the live ones computed from its entry (RFC 4918
 * §15, RFC 3253 §3.1.5, RFC 6578 §4) and the dead ones from the store.
 * The one answer to "what is property X of member M" in full-server mode;
 * wrap mode's is `host-properties.ts`, and both take the entry's values
 * from `entry-properties.ts` and the sync properties from
 * `sync/sync-properties.ts`.
 */
import { DavError, type Entry, type LockStore, type QuotaFigures, type SyncLog } from '@davsync/core';
import { lockDiscoveryValue, SUPPORTED_LOCK } from '../locks/lock-properties';
import type { MemberReader } from '../context';
import { syncPropertyValue } from '../sync/sync-properties';
import { pushPropertyValue, type PushPropertySource } from '../push/push-properties';
import { DAV, OC, type PropEntry, type PropRequest, type PropValue } from '@davsync/protocol';
import { entryPropertiesFor, entryValue, PROTECTED, type MemberPropstats } from './entry-properties';
import { ownCloudNames } from './owncloud-properties';
import { BLOCK_HASHES } from './block-hash-properties';
import { CHUNK_HASHES, chunkHashesValue, type ChunkListSource } from './chunk-hash-properties';

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
  /** For dead properties, when the members have them, and the quota figures, when the store has them. */
  readonly members: Pick<MemberReader, 'properties' | 'quota'>;
  /** For `DAV:lockdiscovery`: the store's locks (absent: no locking here, the properties are not ours). */
  readonly lockStore?: Pick<LockStore, 'locksCovering' | 'now'> | undefined;
  /** For the lock roots' hrefs in `DAV:lockdiscovery`. */
  href(path: string, collection: boolean): string;
  /** For the WebDAV-Push properties of collections (absent: push is off). */
  readonly push?: PushPropertySource | undefined;
  /** For `ds:chunk-hashes` (absent: not answered here, as in wrap mode). */
  readonly chunkLists?: ChunkListSource | undefined;
}

/** Names of the live properties a member has (for propname and allprop). */
function liveNames(entry: Entry, src: PropertySource): string[] {
  const names: string[] = [DAV.resourcetype, DAV.getetag];
  if (!entry.collection) names.push(DAV.getcontentlength);
  if (!entry.collection && entry.contentType !== undefined) names.push(DAV.getcontenttype);
  if (entry.modified !== undefined) names.push(DAV.getlastmodified);
  if (entry.created !== undefined) names.push(DAV.creationdate);
  if (entry.displayName !== undefined) names.push(DAV.displayname);
  if (entry.checksums !== undefined) names.push(OC.checksums);
  if (!entry.collection && entry.checksums?.blocks !== undefined) names.push(BLOCK_HASHES);
  if (!entry.collection && src.chunkLists !== undefined) names.push(CHUNK_HASHES);
  if (entry.collection) names.push(DAV.supportedReportSet, DAV.syncToken);
  names.push(DAV.lockdiscovery, DAV.supportedlock, ...ownCloudNames(entry));
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
      // The store's clock, not ours: the seconds left are what the store will enforce.
      return lockDiscoveryValue(await src.lockStore.locksCovering(entry.path), rootHref, src.lockStore.now());
    }
    case DAV.supportedlock:
      return src.lockStore === undefined ? undefined : SUPPORTED_LOCK;
    case DAV.quotaAvailableBytes:
    case DAV.quotaUsedBytes:
      return quotaValue(name, entry, src);
    case CHUNK_HASHES: {
      const list = entry.collection ? undefined : await src.chunkLists?.chunkList(entry);
      return list === undefined ? undefined : chunkHashesValue(list);
    }
    default:
      // The push properties (draft-bitfire-webdav-push §3.1), on collections when push is on.
      if (entry.collection && src.push !== undefined) {
        const push = pushPropertyValue(name, entry.path, src.push);
        if (push !== undefined) return push;
      }
      return entryValue(name, entry);
  }
}

/**
 * RFC 4331: a collection's quota figures, from the store (`quota`), only
 * when named — allprop leaves them out (§3, §4) and propname does not list
 * them, so a listing of many collections never asks the store unless the
 * client wants the figures. A figure the store does not give is 404.
 */
const quotaAsked = new WeakMap<Entry, Promise<QuotaFigures | undefined>>();

async function quotaValue(name: string, entry: Entry, src: PropertySource): Promise<PropValue | undefined> {
  const quota = src.members.quota;
  if (!entry.collection || quota === undefined) return undefined;
  // Both properties named: one question to the store, not two.
  let asked = quotaAsked.get(entry);
  if (asked === undefined) quotaAsked.set(entry, (asked = quota.call(src.members, entry.path)));
  const figures = await asked;
  const value = name === DAV.quotaAvailableBytes ? figures?.available : figures?.used;
  return value === undefined ? undefined : { text: String(value) };
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
    const names = new Set([...liveNames(entry, src), ...Object.keys(dead)]);
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

