import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hrefOf } from '../../src/hrefs';

// hrefOf takes a shortcut for paths that need no escaping; this property
// holds it to the general rule, one character at a time.

/** A segment encoded by the rule: percent-encode every UTF-8 byte outside unreserved, sub-delims, ':' and '@'. */
function segmentByRule(segment: string): string {
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && /[A-Za-z0-9\-._~!$&'()*+,;=:@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

describe('escaping hrefs for responses', () => {
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
