import { describe, expect, it } from '@jest/globals';
import { parseXml, parseXmlIfPresent } from '../../src/xml/reader';
import { parsePropfind } from '../../src/xml/propfind';
import { expectProtocolError } from './plain';

const parse = async (body: string) => parsePropfind(await parseXmlIfPresent(body));

describe('PROPFIND bodies (RFC 4918 §9.1, §14.20)', () => {
  it('treats an empty body as allprop (§9.1)', async () => {
    expect(await parse('')).toEqual({ kind: 'allprop', include: [] });
  });

  it('reads the §9.1.3 example: named properties in several namespaces', async () => {
    const r = await parse(`<?xml version="1.0" encoding="utf-8" ?>
     <D:propfind xmlns:D="DAV:">
       <D:prop xmlns:R="http://ns.example.com/boxschema/">
         <R:bigbox/>
         <R:author/>
         <R:DingALing/>
         <R:Random/>
       </D:prop>
     </D:propfind>`);
    const R = 'http://ns.example.com/boxschema/';
    expect(r).toEqual({ kind: 'prop', names: [`{${R}}bigbox`, `{${R}}author`, `{${R}}DingALing`, `{${R}}Random`] });
  });

  it('reads the §9.1.4 example: propname', async () => {
    expect(await parse('<?xml version="1.0" encoding="utf-8" ?><propfind xmlns="DAV:"><propname/></propfind>')).toEqual({ kind: 'propname' });
  });

  it('reads the §9.1.6 example: allprop', async () => {
    expect(await parse('<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>')).toEqual({ kind: 'allprop', include: [] });
  });

  it('reads the §9.1.7 example: allprop with include', async () => {
    const r = await parse(`<D:propfind xmlns:D="DAV:">
       <D:allprop/>
       <D:include>
         <D:supported-live-property-set/>
         <D:supported-report-set/>
       </D:include>
     </D:propfind>`);
    expect(r).toEqual({ kind: 'allprop', include: ['{DAV:}supported-live-property-set', '{DAV:}supported-report-set'] });
  });

  it('ignores include next to prop, and unknown elements (RFC 4918 §17)', async () => {
    const r = await parse('<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><X:foo/><D:prop><D:getetag/></D:prop><D:include><D:x/></D:include></D:propfind>');
    expect(r).toEqual({ kind: 'prop', names: ['{DAV:}getetag'] });
  });

  it('drops duplicate property names, keeping the first', async () => {
    const r = await parse('<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:displayname/><D:getetag/></D:prop></D:propfind>');
    expect(r).toEqual({ kind: 'prop', names: ['{DAV:}getetag', '{DAV:}displayname'] });
  });

  it('accepts an empty prop (no properties asked for)', async () => {
    expect(await parse('<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>')).toEqual({ kind: 'prop', names: [] });
  });

  it('refuses a root other than DAV:propfind', async () => {
    await expectProtocolError(() => parse('<propfind><prop/></propfind>'), 'bad-request');
    await expectProtocolError(async () => parsePropfind(await parseXml('<D:propertyupdate xmlns:D="DAV:"/>')), 'bad-request');
  });

  it('refuses a propfind with none, or several, of prop/allprop/propname', async () => {
    await expectProtocolError(() => parse('<D:propfind xmlns:D="DAV:"/>'), 'bad-request');
    await expectProtocolError(() => parse('<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>'), 'bad-request');
    await expectProtocolError(() => parse('<D:propfind xmlns:D="DAV:"><D:prop/><D:prop/></D:propfind>'), 'bad-request');
  });
});
