import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hrefOf } from '../../src/hrefs';
import { xmlText } from '../../src/xml/fragment';

// The writers take a shortcut for text and paths that need no escaping; these
// properties hold them to the general rule, one character at a time.

/** The escaping rule spelled out per code point. */
function escapedByRule(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '\r') out += '&#13;';
    else if (cp === 0x9 || cp === 0xa || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000) out += ch;
    else out += '\uFFFD'; // control characters, U+FFFE/U+FFFF and lone surrogates
  }
  return out;
}

/** A segment encoded by the rule: percent-encode every UTF-8 byte outside unreserved, sub-delims, ':' and '@'. */
function segmentByRule(segment: string): string {
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && /[A-Za-z0-9\-._~!$&'()*+,;=:@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const text = fc.string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '\r', '\n', '\t', '\u0000', '\u0001', '\uFFFE', '\uD800', 'a', ' ', '"', "'"), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });

describe('escaping for responses', () => {
  it('xmlText escapes exactly what the rule says, plain text included', () => {
    fc.assert(fc.property(text, (s) => expect(xmlText(s)).toBe(escapedByRule(s))), { numRuns: 2000 });
    expect(xmlText('plain-name.vcf')).toBe('plain-name.vcf');
  });

  it('hrefOf encodes each segment by the rule, with the mount point in front and a slash for collections', () => {
    const segment = fc.string({ minLength: 1, unit: fc.oneof(fc.constantFrom('a', 'Z', '0', '-', '.', '~', '!', '$', '&', "'", '(', '*', '+', ',', ';', '=', ':', '@', ' ', '%', '?', '#', 'é', '\u{1F600}'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }).filter((s) => !s.includes('/') && s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean(), (segments, collection) => {
        const path = `/${segments.join('/')}`;
        expect(hrefOf('/dav', path, collection)).toBe(`/dav/${segments.map(segmentByRule).join('/')}${collection ? '/' : ''}`);
      }),
      { numRuns: 2000 },
    );
    expect(hrefOf('/dav', '/', true)).toBe('/dav/');
  });
});
