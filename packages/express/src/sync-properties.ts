/**
 * The two live properties RFC 6578 adds to a syncable collection, in one
 * place for both modes (full server: `properties.ts`; wrap mode: merged
 * into the host's PROPFIND and sync reports, `wrap/`):
 * - `DAV:sync-token` (§4): the collection's current token; protected, and
 *   not returned by allprop;
 * - `DAV:supported-report-set` (§3.1, RFC 3253 §3.1.5) listing
 *   `DAV:sync-collection`.
 * Together with the REPORT handler (`methods/report.ts`) and the token
 * check of the If header (`SyncLog.isCurrentToken`) they are the whole
 * of what sync adds to a WebDAV server.
 */
import type { SyncLog } from '@davsync/core';
import { DAV, type PropValue } from '@davsync/protocol';

/** The names of the sync properties. */
export const SYNC_PROPERTY_NAMES: readonly string[] = [DAV.syncToken, DAV.supportedReportSet];

/** `DAV:supported-report-set` of a syncable collection. */
export const SUPPORTED_REPORT_SET: PropValue = {
  children: [{ name: DAV.supportedReport, children: [{ name: DAV.report, children: [{ name: DAV.syncCollection }] }] }],
};

/**
 * The value of a sync property of the collection at `path`, or `undefined`
 * when `name` is not one or the journal knows no collection there.
 */
export async function syncPropertyValue(name: string, path: string, log: Pick<SyncLog, 'currentToken'>): Promise<PropValue | undefined> {
  if (name === DAV.supportedReportSet) return SUPPORTED_REPORT_SET;
  if (name !== DAV.syncToken) return undefined;
  const token = await log.currentToken(path);
  return token === undefined ? undefined : { text: token };
}
