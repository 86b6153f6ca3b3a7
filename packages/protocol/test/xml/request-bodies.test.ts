import { describe, expect, it } from '@jest/globals';
import { parseXml } from '../../src/xml/reader';
import { DAV } from '../../src/xml/names';
import { parsePropfind, type PropRequest } from '../../src/xml/propfind';
import { parseSyncCollection } from '../../src/xml/sync-collection';
import { propfindBody, syncCollectionBody } from '../../src/xml/request-bodies';
import { fixture, plain } from './plain';

const BIGBOX = '{urn:ns.example.com:boxschema}bigbox';

describe('syncCollectionBody (RFC 6578 §6.1)', () => {
  it('an initial sync: empty token, getetag by default', () => {
    expect(syncCollectionBody({ level: '1' })).toBe(
      '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>',
    );
  });

  it('means what the RFC examples mean (§3.8, §3.11, §3.13)', async () => {
    const same = async (body: string, name: string): Promise<void> =>
      expect(plain(await parseXml(body))).toEqual(plain(await parseXml(fixture(`rfc6578-${name}.xml`))));
    await same(syncCollectionBody({ level: '1', props: [DAV.getetag, BIGBOX] }), '3.8-initial');
    await same(syncCollectionBody({ level: '1', limit: 1 }), '3.11-limit');
    await same(syncCollectionBody({ level: 'infinite', props: [DAV.getetag, BIGBOX] }), '3.13-infinite');
  });

  it('reads back through the server parser, a hostile token included', async () => {
    const token = 'urn:a&amp;b<c>\r&#38;"'; // (the server trims XML white space at the ends)
    expect(parseSyncCollection(await parseXml(syncCollectionBody({ level: 'infinite', token, limit: 5, props: [DAV.getetag, BIGBOX] })))).toEqual({
      token,
      level: 'infinite',
      limit: 5,
      props: { kind: 'prop', names: [DAV.getetag, BIGBOX] },
    });
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => syncCollectionBody({ level: '1', limit })).toThrow(RangeError);
  });
});

describe('propfindBody (RFC 4918 §14.20)', () => {
  const requests: PropRequest[] = [
    { kind: 'prop', names: [DAV.getetag, DAV.resourcetype, BIGBOX] },
    { kind: 'propname' },
    { kind: 'allprop', include: [] },
    { kind: 'allprop', include: [DAV.supportedReportSet, BIGBOX] },
  ];
  it.each(requests)('reads back through the server parser: %j', async (request) => {
    expect(parsePropfind(await parseXml(propfindBody(request)))).toEqual(request);
  });

  it('writes prop names as empty elements', () => {
    expect(propfindBody({ kind: 'prop', names: [DAV.getetag] })).toBe(
      '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
    );
  });
});
