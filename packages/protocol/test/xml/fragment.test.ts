import { describe, expect, it } from '@jest/globals';
import { parseXml } from '../../src/xml/reader';
import { DAV_DECLARED, PrefixTable, elementXml, nodeXml, xmlAttr, xmlText } from '../../src/xml/fragment';
import { plain } from './plain';

describe('building elements from the plain model', () => {
  it('uses D for DAV:, readable prefixes for CalDAV and CardDAV, and stable generated ones otherwise', () => {
    const t = new PrefixTable();
    expect(t.prefixFor('DAV:')).toBe('D');
    expect(t.prefixFor('urn:ietf:params:xml:ns:caldav')).toBe('C');
    expect(t.prefixFor('urn:ietf:params:xml:ns:carddav')).toBe('CR');
    expect(t.prefixFor('urn:a')).toBe('ns0');
    expect(t.prefixFor('urn:b')).toBe('ns1');
    expect(t.prefixFor('urn:a')).toBe('ns0');
    expect(t.prefixFor('')).toBe('');
  });

  it('declares a namespace once, on the outermost element that needs it', () => {
    const out = nodeXml({ name: '{urn:a}x', children: [{ name: '{urn:a}y', attrs: { '{urn:a}z': '1' } }] }, new PrefixTable(), DAV_DECLARED);
    expect(out).toBe('<ns0:x xmlns:ns0="urn:a"><ns0:y ns0:z="1"/></ns0:x>');
  });

  it('writes xml: attributes without declaring the xml prefix', async () => {
    const out = nodeXml({ name: '{urn:a}x', attrs: { '{http://www.w3.org/XML/1998/namespace}lang': 'en' } }, new PrefixTable(), DAV_DECLARED);
    expect(out).toBe('<ns0:x xmlns:ns0="urn:a" xml:lang="en"/>');
    expect((await parseXml(out)).lang).toBe('en');
  });

  it('escapes values so that they read back exactly', async () => {
    const value = 'a &amp; &#1; \t\n\r "q" <x> ]]>';
    const root = await parseXml(nodeXml({ name: 'x', attrs: { v: value }, text: value }, new PrefixTable(), DAV_DECLARED));
    expect(plain(root)).toEqual({ name: 'x', attrs: { v: value }, text: value.trim() });
    expect(root.text).toBe(value);
  });

  it('exposes the escaping it relies on', () => {
    expect(xmlText('&lt;\r<>')).toBe('&amp;lt;&#13;&lt;&gt;');
    expect(xmlAttr('\t\n"')).toBe('&#9;&#10;&quot;');
    expect(xmlText('a\u0001b')).toBe('a\uFFFDb');
  });

  it('writes an empty element self-closed and refuses names that are not XML names', () => {
    expect(elementXml('{DAV:}getetag', new PrefixTable(), DAV_DECLARED, '')).toBe('<D:getetag/>');
    expect(() => elementXml('{urn:a}1bad', new PrefixTable(), DAV_DECLARED, '')).toThrow(TypeError);
  });
});
