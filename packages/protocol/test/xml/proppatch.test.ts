import { describe, expect, it } from '@jest/globals';
import { parseXml } from '../../src/xml/reader';
import { parsePropPatch } from '../../src/xml/proppatch';
import { expectProtocolError, plain } from './plain';

const parse = async (body: string) => parsePropPatch(await parseXml(body));

describe('PROPPATCH bodies (RFC 4918 §9.2, §14.19)', () => {
  it('reads the §9.2.2 example as ordered instructions', async () => {
    const ops = await parse(`<?xml version="1.0" encoding="utf-8" ?>
     <D:propertyupdate xmlns:D="DAV:"
             xmlns:Z="http://ns.example.com/standards/z39.50/">
       <D:set>
         <D:prop>
           <Z:Authors>
             <Z:Author>Jim Whitehead</Z:Author>
             <Z:Author>Roy Fielding</Z:Author>
           </Z:Authors>
         </D:prop>
       </D:set>
       <D:remove>
         <D:prop><Z:Copyright-Owner/></D:prop>
       </D:remove>
     </D:propertyupdate>`);
    const Z = 'http://ns.example.com/standards/z39.50/';
    expect(ops.map((o) => ({ op: o.op, name: o.name }))).toEqual([
      { op: 'set', name: `{${Z}}Authors` },
      { op: 'remove', name: `{${Z}}Copyright-Owner` },
    ]);
  });

  it('stores a set value as the whole property element, which re-parses to the same element', async () => {
    const ops = await parse(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>
      <Z:Authors kind="list"><Z:Author>Jim Whitehead</Z:Author><Z:Author>Roy &amp; Fielding</Z:Author></Z:Authors>
    </D:prop></D:set></D:propertyupdate>`);
    const set = ops[0];
    expect(set?.op).toBe('set');
    const value = set?.op === 'set' ? set.value : '';
    expect(value).toBe(
      '<Z:Authors xmlns:D="DAV:" xmlns:Z="urn:z" kind="list"><Z:Author>Jim Whitehead</Z:Author><Z:Author>Roy &amp; Fielding</Z:Author></Z:Authors>',
    );
    expect(plain(await parseXml(value))).toEqual({
      name: '{urn:z}Authors',
      attrs: { kind: 'list' },
      children: [
        { name: '{urn:z}Author', text: 'Jim Whitehead' },
        { name: '{urn:z}Author', text: 'Roy & Fielding' },
      ],
    });
  });

  it('keeps an xml:lang inherited from an ancestor with the property (RFC 4918 §4.3)', async () => {
    const ops = await parse(
      '<D:propertyupdate xmlns:D="DAV:" xml:lang="en"><D:set><D:prop><x:title xmlns:x="urn:x">Hello</x:title></D:prop></D:set></D:propertyupdate>',
    );
    const value = ops[0]?.op === 'set' ? ops[0].value : '';
    const reparsed = await parseXml(value);
    expect(reparsed.lang).toBe('en');
    expect(reparsed.text).toBe('Hello');
  });

  it('keeps nested elements in other namespaces and mixed content', async () => {
    const ops = await parse(
      '<propertyupdate xmlns="DAV:"><set><prop><note xmlns="urn:n">a <b xmlns="urn:b">bold</b> c<x:i xmlns:x="urn:i" x:y="1"/></note></prop></set></propertyupdate>',
    );
    const value = ops[0]?.op === 'set' ? ops[0].value : '';
    const reparsed = await parseXml(value);
    expect(reparsed.content.map((c) => (typeof c === 'string' ? c : c.name))).toEqual(['a ', '{urn:b}b', ' c', '{urn:i}i']);
    expect(reparsed.children[1]?.attrs).toEqual({ '{urn:i}y': '1' });
  });

  it('sets and removes several properties in document order (they MUST be applied in that order)', async () => {
    const ops = await parse(`<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x">
      <D:remove><D:prop><X:a/><X:b/></D:prop></D:remove>
      <D:set><D:prop><X:a>1</X:a></D:prop></D:set>
      <X:unknown/>
      <D:remove><D:prop><X:a/></D:prop></D:remove>
    </D:propertyupdate>`);
    expect(ops.map((o) => `${o.op} ${o.name}`)).toEqual(['remove {urn:x}a', 'remove {urn:x}b', 'set {urn:x}a', 'remove {urn:x}a']);
  });

  it('refuses a root other than DAV:propertyupdate', async () => {
    await expectProtocolError(() => parse('<propertyupdate><set><prop><a/></prop></set></propertyupdate>'), 'bad-request');
  });

  it('refuses a set or remove without DAV:prop', async () => {
    await expectProtocolError(() => parse('<D:propertyupdate xmlns:D="DAV:"><D:set/></D:propertyupdate>'), 'bad-request');
    await expectProtocolError(() => parse('<D:propertyupdate xmlns:D="DAV:"><D:remove><a/></D:remove></D:propertyupdate>'), 'bad-request');
  });

  it('refuses an update with no instruction at all', async () => {
    await expectProtocolError(() => parse('<D:propertyupdate xmlns:D="DAV:"/>'), 'bad-request');
    await expectProtocolError(() => parse('<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop/></D:set></D:propertyupdate>'), 'bad-request');
  });
});
