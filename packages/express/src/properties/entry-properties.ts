/**
 * The live properties a member's entry answers by itself, without an await
 * (PROPFIND asks for them per member, in a loop tuned for speed), and the
 * two a journal entry answers (getetag, resourcetype: all a sync report
 * needs for a member the store or host no longer has).
 */
import type { Entry } from '@davsync/core';
import { DAV, OC, type PropEntry, type PropRequest, type PropValue } from '@davsync/protocol';
import { OWNCLOUD_LIVE, ownCloudValue } from './owncloud-properties';
import { checksumsValue } from './checksum-properties';
import { BLOCK_HASHES, blockHashesValue } from './block-hash-properties';
import { CHUNK_HASHES } from './chunk-hash-properties';

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
  DAV.quotaAvailableBytes,
  DAV.quotaUsedBytes,
  // The ownCloud dialect's file IDs (owncloud-properties.ts).
  ...OWNCLOUD_LIVE,
  // An extension's live property (checksum-properties.ts), computed by the store.
  OC.checksums,
  // davsync's block list (block-hash-properties.ts), computed with the checksums.
  BLOCK_HASHES,
  // davsync's FastCDC chunk list (chunk-hash-properties.ts), computed on demand.
  CHUNK_HASHES,
]);

/** Protected properties the entry cannot answer: the journal's (sync), the lock store's, the store's quota figures and the chunk list (read from the body). */
const NOT_FROM_ENTRY: ReadonlySet<string> = new Set([
  CHUNK_HASHES,
  DAV.syncToken,
  DAV.supportedReportSet,
  DAV.lockdiscovery,
  DAV.supportedlock,
  DAV.quotaAvailableBytes,
  DAV.quotaUsedBytes,
]);

/** The HTTP form of a store ETag. */
export const quoteEtag = (etag: string): string => `"${etag}"`;

const httpDate = (d: Date): string => d.toUTCString();

/** Found properties with values (or without, for propname) and the names a member does not have (a 404 propstat). */
export interface MemberPropstats {
  readonly found: PropEntry[];
  readonly missing: string[];
}

/** The live properties that come from the entry alone (no await: PROPFIND asks for them per member). */
export function entryValue(name: string, entry: Entry): PropValue | undefined {
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
    case OC.checksums:
      return checksumsValue(entry);
    case BLOCK_HASHES:
      return blockHashesValue(entry);
    default:
      return ownCloudValue(name, entry);
  }
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
  if (!names.every((name) => PROTECTED.has(name) && !NOT_FROM_ENTRY.has(name))) return undefined;
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

/** True when every requested property can be answered from a journal entry (path, kind, ETag). */
export function answerableFromJournal(request: PropRequest): boolean {
  return request.kind === 'prop' && request.names.every((n) => n === DAV.getetag || n === DAV.resourcetype);
}

/** A member as the journal records it: enough for getetag and resourcetype. */
export interface JournalMember {
  readonly path: string;
  readonly collection: boolean;
  /** The ETag the journal recorded (unquoted). */
  readonly etag: string;
}

/** getetag or resourcetype of a member as the journal recorded it; `undefined` for any other property. */
export function journalValue(name: string, member: JournalMember): PropValue | undefined {
  if (name === DAV.getetag) return { text: quoteEtag(member.etag) };
  if (name === DAV.resourcetype) return { children: member.collection ? [{ name: DAV.collection }] : [] };
  return undefined;
}

/**
 * The propstat content of a member answered from the journal alone (a prop
 * request gets its getetag and resourcetype, every other name missing;
 * allprop and propname get those two).
 */
export function journalProperties(member: JournalMember, request: PropRequest): MemberPropstats {
  const names = request.kind === 'prop' ? request.names : [DAV.getetag, DAV.resourcetype];
  const found: PropEntry[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const value = journalValue(name, member);
    if (value !== undefined) found.push({ name, value });
    else missing.push(name);
  }
  return { found, missing };
}
