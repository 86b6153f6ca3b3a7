import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { xmlText } from '../../src/xml/fragment';

// The writer takes a shortcut for text that needs no escaping; this property
// holds it to the general rule, one character at a time. (Hrefs are the
// server's: express's test/hrefs/escaping.test.ts.)

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

const text = fc.string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '\r', '\n', '\t', '\u0000', '\u0001', '\uFFFE', '\uD800', 'a', ' ', '"', "'"), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });

describe('escaping for responses', () => {
  it('xmlText escapes exactly what the rule says, plain text included', () => {
    fc.assert(fc.property(text, (s) => expect(xmlText(s)).toBe(escapedByRule(s))), { numRuns: 2000 });
    expect(xmlText('plain-name.vcf')).toBe('plain-name.vcf');
  });
});
