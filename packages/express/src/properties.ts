/**
 * Properties of a member: the live ones computed from its entry (RFC 4918
 * §15, RFC 3253 §3.1.5, RFC 6578 §4) and the dead ones from the store.
 */
import { DavError, type Entry, type SyncLog } from '@davsync/core';
import type { MemberReader } from './context';
import { syncPropertyValue } from './sync-properties';
import { DAV, type PropEntry, type PropRequest, type PropValue } from '@davsync/protocol';

/** Live properties returned by allprop (RFC 4918 §9.1: those it defines). */
const ALLPROP_LIVE: readonly string[] = [
  DAV.resourcetype,
  DAV.getetag,
  DAV.getcontentlength,
  DAV.getcontenttype,
  DAV.getlastmodified,
  DAV.creationdate,
  DAV.displayname,
];

/**
 * Live properties a client may not set (RFC 4918 §15 marks them protected;
 * RFC 6578 §4 makes sync-token protected). `displayname` is not here: it is
 * stored as a dead property when a client sets it.
 */
export const PROTECTED: ReadonlySet<string> = new Set([
  DAV.resourcetype,
  DAV.getetag,
  DAV.getcontentlength,
  DAV.getcontenttype,
  DAV.getlastmodified,
  DAV.creationdate,
  DAV.supportedReportSet,
  DAV.syncToken,
  DAV.lockdiscovery,
  DAV.supportedlock,
]);

/** The HTTP form of a store ETag. */
export const quoteEtag = (etag: string): string => `"${etag}"`;

const httpDate = (d: Date): string => d.toUTCString();

/** What property computation needs from the request. */
export interface PropertySource {
  /** For the sync properties. */
  readonly sync: Pick<SyncLog, 'currentToken'>;
  /** For dead properties, when the members have them. */
  readonly members: Pick<MemberReader, 'properties'>;
}

/** Names of the live properties a member has (for propname and allprop). */
function liveNames(entry: Entry): string[] {
  const names: string[] = [DAV.resourcetype, DAV.getetag];
  if (!entry.collection) names.push(DAV.getcontentlength);
  if (!entry.collection && entry.contentType !== undefined) names.push(DAV.getcontenttype);
  if (entry.modified !== undefined) names.push(DAV.getlastmodified);
  if (entry.created !== undefined) names.push(DAV.creationdate);
  if (entry.displayName !== undefined) names.push(DAV.displayname);
  if (entry.collection) names.push(DAV.supportedReportSet, DAV.syncToken);
  return names;
}

/** The value of one live property, or `undefined` when the member does not have it. */
async function liveValue(name: string, entry: Entry, src: PropertySource): Promise<PropValue | undefined> {
  switch (name) {
    case DAV.supportedReportSet:
    case DAV.syncToken:
      // RFC 6578 §3.2, §4: on every collection (the journal knows them all).
      return entry.collection ? syncPropertyValue(name, entry.path, src.sync) : undefined;
    default:
      return entryValue(name, entry);
  }
}

/** The live properties that come from the entry alone (no await: PROPFIND asks for them per member). */
function entryValue(name: string, entry: Entry): PropValue | undefined {
  switch (name) {
    case DAV.resourcetype:
      return { children: entry.collection ? [{ name: DAV.collection }] : [] };
    case DAV.getetag:
      return { text: quoteEtag(entry.etag) };
    case DAV.getcontentlength:
      return entry.collection ? undefined : { text: String(entry.size ?? 0) };
    case DAV.getcontenttype:
      return entry.collection || entry.contentType === undefined ? undefined : { text: entry.contentType };
    case DAV.getlastmodified:
      return entry.modified === undefined ? undefined : { text: httpDate(entry.modified) };
    case DAV.creationdate:
      return entry.created === undefined ? undefined : { text: entry.created.toISOString() };
    case DAV.displayname:
      return entry.displayName === undefined ? undefined : { text: entry.displayName };
    default:
      return undefined;
  }
}

/** Found properties with values (or without, for propname) and the names a member does not have (a 404 propstat). */
export interface MemberPropstats {
  readonly found: PropEntry[];
  readonly missing: string[];
}

/**
 * When every property `request` names comes from the entry alone (getetag,
 * resourcetype, getcontentlength, …: protected, so never a stored value,
 * and not a sync property, which asks the journal), a synchronous way to
 * answer it for any member; otherwise `undefined`. A listing asks once per
 * request and then answers each member without an await.
 */
export function entryPropertiesFor(request: PropRequest): ((entry: Entry) => MemberPropstats) | undefined {
  if (request.kind !== 'prop') return undefined;
  const names = [...new Set(request.names)];
  if (!names.every((name) => PROTECTED.has(name) && name !== DAV.syncToken && name !== DAV.supportedReportSet)) return undefined;
  return (entry) => {
    const found: PropEntry[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const value = entryValue(name, entry);
      if (value !== undefined) found.push({ name, value });
      else missing.push(name);
    }
    return { found, missing };
  };
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

/** True when every requested property can be answered from a journal entry (path, kind, ETag). */
export function answerableFromJournal(request: PropRequest): boolean {
  return request.kind === 'prop' && request.names.every((n) => n === DAV.getetag || n === DAV.resourcetype);
}
