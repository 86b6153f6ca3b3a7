/**
 * The two live properties RFC 6578 adds to a syncable collection, in one
 * place for both modes (their values are asked for by `properties/`: the
 * store's members and the host's; wrap mode also merges them into the
 * host's PROPFIND answer, `wrap/propfind-merge.ts`):
 * - `DAV:sync-token` (§4): the collection's current token; protected, and
 *   not returned by allprop;
 * - `DAV:supported-report-set` (§3.1, RFC 3253 §3.1.5) listing
 *   `DAV:sync-collection`.
 * Together with the REPORT handler (`report.ts`), the sync tokens of the
 * If header (`token-condition.ts`) and the user's view of a delta
 * (`access-view.ts`), all in this folder, they are the whole of what sync
 * adds to a WebDAV server.
 */
import type { SyncLog } from '@davsync/core';
import { DAV, type PropValue, type XmlNode } from '@davsync/protocol';

/** The names of the sync properties. */
export const SYNC_PROPERTY_NAMES: readonly string[] = [DAV.syncToken, DAV.supportedReportSet];

/** The `DAV:supported-report` entries sync adds to a collection's `DAV:supported-report-set` (all in `DAV:`). */
export const SYNC_REPORTS: readonly XmlNode[] = [{ name: DAV.supportedReport, children: [{ name: DAV.report, children: [{ name: DAV.syncCollection }] }] }];

/** `DAV:supported-report-set` of a syncable collection. */
export const SUPPORTED_REPORT_SET: PropValue = { children: SYNC_REPORTS };

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
