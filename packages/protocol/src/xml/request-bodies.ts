/**
 * The request bodies a client sends, built with xmlbuilder2 (`build.ts`):
 * the `sync-collection` REPORT (RFC 6578 §6.1) and PROPFIND (RFC 4918
 * §14.20). Each reads back through this package's own parsers to the model
 * it was built from (`parseSyncCollection`, `parsePropfind`).
 */
import { buildXml } from './build';
import type { XmlNode } from './fragment';
import { DAV } from './names';
import type { PropRequest } from './propfind';

/** What a `sync-collection` REPORT asks for (RFC 6578 §3.2). */
export interface SyncCollectionBodyOptions {
  /** The token from the last answer; absent (or `''`) for an initial sync (§3.8). */
  readonly token?: string;
  /** `1`: direct members; `infinite`: the whole tree (§3.3). */
  readonly level: '1' | 'infinite';
  /** At most this many results (§3.7, RFC 5323 §5.17): a positive integer. */
  readonly limit?: number;
  /** Clark names of the properties wanted for each changed member; `[DAV:getetag]` when absent. */
  readonly props?: readonly string[];
}

/**
 * A `DAV:sync-collection` REPORT body: sync-token, sync-level, limit?, prop,
 * in the order §6.1 gives.
 *
 * @example syncCollectionBody({ level: '1' })
 * // '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>'
 */
export function syncCollectionBody(options: SyncCollectionBodyOptions): string {
  const children: XmlNode[] = [
    { name: DAV.syncToken, text: options.token ?? '' },
    { name: DAV.syncLevel, text: options.level },
  ];
  if (options.limit !== undefined) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) throw new RangeError(`davsync: limit must be a positive integer, not ${options.limit}`);
    children.push({ name: DAV.limit, children: [{ name: DAV.nresults, text: String(options.limit) }] });
  }
  children.push({ name: DAV.prop, children: (options.props ?? [DAV.getetag]).map((name) => ({ name })) });
  return buildXml({ name: DAV.syncCollection, children });
}

/**
 * A `DAV:propfind` body for a {@link PropRequest}: `prop` with the names,
 * `propname`, or `allprop` with `include` when it names any.
 *
 * @example propfindBody({ kind: 'prop', names: [DAV.getetag, DAV.resourcetype] })
 */
export function propfindBody(request: PropRequest): string {
  let children: XmlNode[];
  if (request.kind === 'prop') children = [{ name: DAV.prop, children: request.names.map((name) => ({ name })) }];
  else if (request.kind === 'propname') children = [{ name: DAV.propname }];
  else {
    children = [{ name: DAV.allprop }];
    if (request.include.length > 0) children.push({ name: DAV.include, children: request.include.map((name) => ({ name })) });
  }
  return buildXml({ name: DAV.propfind, children });
}
