import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseXml } from '../../src/xml/reader';
import { xmlAttr as escapeAttr, xmlText as escapeText } from '../../src/xml/fragment';
import { serializeElement } from '../../src/xml/serialize';
import { plain } from './plain';

describe('serialising a parsed element as a standalone fragment', () => {
  it('declares every binding in scope on the root and keeps the prefixes as written', async () => {
    const root = await parseXml('<D:prop xmlns:D="DAV:" xmlns:R="urn:r"><R:box>x</R:box></D:prop>');
    expect(serializeElement(root.children[0]!)).toBe('<R:box xmlns:D="DAV:" xmlns:R="urn:r">x</R:box>');
  });

  it('keeps a default namespace and undeclares it where the document did', async () => {
    const root = await parseXml('<p xmlns="urn:a"><q><r xmlns=""/></q></p>');
    const out = serializeElement(root.children[0]!);
    expect(out).toBe('<q xmlns="urn:a"><r xmlns=""/></q>');
    expect(plain(await parseXml(out))).toEqual({ name: '{urn:a}q', children: [{ name: 'r' }] });
  });

  it('does not write xmlns="" on a root that is in no namespace', async () => {
    const root = await parseXml('<p><q/></p>');
    expect(serializeElement(root.children[0]!)).toBe('<q/>');
  });

  it('escapes text and attributes so that white space and markup characters survive', async () => {
    const root = await parseXml('<a v="&#9;&#10;&#13;&quot;&lt;&amp;">x &lt; y &amp;&amp; z &gt; w&#13;</a>');
    const again = await parseXml(serializeElement(root));
    expect(again.attrs['v']).toBe('\t\n\r"<&');
    expect(again.text).toBe('x < y && z > w\r');
  });

  it('round-trips generated text and attribute values exactly', async () => {
    const xmlChar = fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\n', '\r', '<', '>', '&', '"', "'", ']', 'é', '🗼') });
    await fc.assert(
      fc.asyncProperty(xmlChar, xmlChar, async (text, attr) => {
        const doc = `<x:e xmlns:x="urn:x" a="${escapeAttr(attr)}">${escapeText(text)}</x:e>`;
        const root = await parseXml(doc);
        expect(root.text).toBe(text);
        expect(root.attrs['a']).toBe(attr);
        const again = await parseXml(serializeElement(root));
        expect(again.text).toBe(text);
        expect(again.attrs['a']).toBe(attr);
      }),
      { numRuns: 200 },
    );
  });
});
