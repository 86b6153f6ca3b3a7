/**
 * Properties of members in wrap mode, where the host is the store: what
 * the host's `properties` callback answers, a batch at a time, with
 * getetag and resourcetype from the journal when the host gives none and
 * the sync properties from the sync log. A wrap-mode sync report's
 * {@link MemberPropertySource}.
 */
import type { SyncLog } from '@davsync/core';
import { DAV, type PropEntry, type PropRequest } from '@davsync/protocol';
import type { MemberPropertySource } from '../sync/report';
import { SYNC_PROPERTY_NAMES, syncPropertyValue } from '../sync/sync-properties';
import type { HostProperties, PropertiesCallback } from '../wrap/options';
import { journalValue, type JournalMember, type MemberPropstats } from './entry-properties';

export function hostPropertySource(properties: PropertiesCallback | undefined, batchSize: number, log: SyncLog): MemberPropertySource {
  return { batchSize, properties: (members, request) => memberProperties(members, request, properties, log) };
}

async function memberProperties(
  members: readonly JournalMember[],
  request: PropRequest,
  properties: PropertiesCallback | undefined,
  log: SyncLog,
): Promise<ReadonlyMap<string, MemberPropstats>> {
  const out = new Map<string, MemberPropstats>();
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
      else {
        const ours = journalValue(name, m) ?? (m.collection ? await syncPropertyValue(name, m.path, log) : undefined);
        if (ours !== undefined) found.push({ name, value: ours });
        else missing.push(name);
      }
    }
    out.set(m.path, { found, missing });
  }
  return out;
}
