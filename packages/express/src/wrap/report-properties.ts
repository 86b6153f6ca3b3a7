/**
 * Where a wrap-mode sync report gets the properties of changed members:
 * the host's `properties` callback, a batch at a time, with getetag and
 * resourcetype from the journal and the sync properties from the sync log.
 */
import type { SyncLog } from '@davsync/core';
import type { MemberProperties, MemberPropertySource } from '../methods/report';
import { quoteEtag } from '../properties';
import { SYNC_PROPERTY_NAMES, syncPropertyValue } from '../sync-properties';
import { DAV, type PropEntry, type PropRequest } from '@davsync/protocol';
import type { HostProperties, PropertiesCallback } from './options';

export function hostPropertySource(properties: PropertiesCallback | undefined, batchSize: number, log: SyncLog): MemberPropertySource {
  return { batchSize, properties: (members, request) => memberProperties(members, request, properties, log) };
}

async function memberProperties(
  members: readonly { path: string; collection: boolean; etag: string }[],
  request: PropRequest,
  properties: PropertiesCallback | undefined,
  log: SyncLog,
): Promise<ReadonlyMap<string, MemberProperties>> {
  const out = new Map<string, MemberProperties>();
  if (request.kind === 'propname') return out; // answered from the journal
  const names = request.kind === 'prop' ? request.names : [DAV.getetag, DAV.resourcetype, ...request.include];
  const hostNames = names.filter((n) => !SYNC_PROPERTY_NAMES.includes(n));
  let answers: ReadonlyMap<string, HostProperties> = new Map();
  if (properties !== undefined && hostNames.length > 0) {
    const given = await properties(members, hostNames);
    if (given instanceof Map) answers = given;
    else if (typeof given === 'object' && given !== null) answers = new Map(Object.entries(given as Record<string, HostProperties>));
    else throw new TypeError('davsync: the properties callback must return a Map or an object keyed by member path');
  }
  const asked = properties !== undefined && hostNames.length > 0;
  for (const m of members) {
    const host = answers.get(m.path);
    if (asked && host === undefined) continue; // the host no longer has it: answered from the journal
    const found: PropEntry[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const value = host?.[name];
      if (typeof value === 'string') found.push({ name, value: { text: value } });
      else if (typeof value === 'object' && value !== null && typeof value.xml === 'string') found.push({ name, value: { xml: value.xml } });
      else if (name === DAV.getetag) found.push({ name, value: { text: quoteEtag(m.etag) } });
      else if (name === DAV.resourcetype) found.push({ name, value: { children: m.collection ? [{ name: DAV.collection }] : [] } });
      else {
        const ours = m.collection ? await syncPropertyValue(name, m.path, log) : undefined;
        if (ours !== undefined) found.push({ name, value: ours });
        else missing.push(name);
      }
    }
    out.set(m.path, { found, missing });
  }
  return out;
}
