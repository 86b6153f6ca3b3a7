import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { buildXml } from '../../src/xml/build';
import { parseXml } from '../../src/xml/reader';
import { DAV } from '../../src/xml/names';
import { plain } from './plain';

// buildXml wraps xmlbuilder2, which leaves `&name;` and `&#…;` in text as it
// finds them; every document it writes must still read back to exactly the
// text it was given.

describe('buildXml (xmlbuilder2, the project prefixes)', () => {
  it('writes DAV: as D on the document element, other namespaces where first used', () => {
    const xml = buildXml({
      name: DAV.error,
      children: [
        { name: '{urn:ietf:params:xml:ns:caldav}valid-calendar-data' },
        { name: '{urn:x}a', children: [{ name: '{urn:x}b' }, { name: 'bare' }] },
      ],
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><C:valid-calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav"/>' +
        '<ns0:a xmlns:ns0="urn:x"><ns0:b/><bare/></ns0:a></D:error>',
    );
  });

  it('leaves the declaration out on request', () => {
    expect(buildXml({ name: DAV.prop }, { declaration: false })).toBe('<D:prop xmlns:D="DAV:"/>');
  });

  it('escapes what xmlbuilder2 would pass through: entity and character references in text and attributes', async () => {
    const text = 'a&amp;b &#38; &lt; <c> \r\n\t"\'';
    const xml = buildXml({ name: '{urn:x}t', attrs: { v: text, '{urn:y}w': text, '{http://www.w3.org/XML/1998/namespace}lang': 'en' }, text });
    const root = await parseXml(xml);
    expect(root.text).toBe(text);
    expect(root.attrs).toEqual({ v: text, '{urn:y}w': text, '{http://www.w3.org/XML/1998/namespace}lang': 'en' });
  });

  it('replaces characters XML cannot carry with U+FFFD', async () => {
    expect((await parseXml(buildXml({ name: DAV.href, text: 'a\u0001b\uFFFEc\uD800' }))).text).toBe('a\uFFFDb\uFFFDc\uFFFD');
  });

  it('refuses a name that is not an NCName', () => {
    expect(() => buildXml({ name: '{DAV:}a b' })).toThrow(TypeError);
    expect(() => buildXml({ name: DAV.prop, attrs: { '1x': 'v' } })).toThrow(TypeError);
  });

  it('any text reads back as written (well-formed, nothing lost)', async () => {
    const xmlChars = fc.string({ unit: 'binary' }).map((s) => s.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
    await fc.assert(
      fc.asyncProperty(xmlChars, xmlChars, async (text, attr) => {
        const root = await parseXml(buildXml({ name: DAV.error, children: [{ name: DAV.href, attrs: { a: attr }, text }] }));
        expect(plain(root).name).toBe(DAV.error);
        const href = root.children[0];
        expect(href?.text).toBe(text);
        expect(href?.attrs).toEqual({ a: attr });
      }),
      { numRuns: 300 },
    );
  });
});

describe('xmlbuilder2 is loaded on first use', () => {
  it('not by loading the package, but by the first document built', () => {
    let loads = 0;
    jest.isolateModules(() => {
      jest.doMock('xmlbuilder2', () => {
        loads++;
        return jest.requireActual('xmlbuilder2');
      });
      const protocol = require('../../src') as typeof import('../../src');
      expect(loads).toBe(0);
      protocol.errorBody(DAV.validSyncToken);
      expect(loads).toBe(1);
    });
  });
});
