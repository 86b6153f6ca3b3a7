/** Accept-Encoding weights (RFC 9110 §12.5.3) and the gzip decision. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { choosesGzip, preferenceOf } from '../../src/compression/accept-encoding';
import { isCompressible } from '../../src/compression/compressible';
import { gzipEtag } from '../../src/compression/compress-response';

describe('Accept-Encoding', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br', false],
    ['x-gzip', true],
    [' GZip ; Q=1 ', true],
    ['gzip;q=0', false],
    ['gzip;q=0.001', true],
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['gzip;q=0.5', true],
    ['gzip;q=0.5, identity', false],
    ['gzip;q=0.5, identity;q=0.5', true],
    ['identity;q=0, gzip', true],
    ['gzip;q=1.5', false],
    ['gzip;q=abc', false],
    ['gzip;level=9', true], // an unknown parameter is ignored
  ])('%j → gzip %s', (header, gzip) => {
    expect(choosesGzip(preferenceOf(header))).toBe(gzip);
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const p = preferenceOf(header);
        expect(p.gzip).toBeGreaterThanOrEqual(0);
        expect(p.gzip).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('compressible media types', () => {
  it.each([
    ['application/xml; charset=utf-8', true],
    ['text/html', true],
    ['text/calendar', true],
    ['application/vnd.api+json', true],
    ['image/svg+xml', true],
    ['text/event-stream', false],
    ['image/png', false],
    ['image/jpeg', false],
    ['video/mp4', false],
    ['audio/mpeg', false],
    ['application/zip', false],
    ['application/gzip', false],
    ['application/x-7z-compressed', false],
    ['application/pdf', false],
    ['application/octet-stream', false],
    ['application/epub+zip', false],
    [undefined, false],
  ])('%s → %s', (type, yes) => {
    expect(isCompressible(type)).toBe(yes);
  });
});

describe('gzipEtag', () => {
  it('makes a distinct strong tag of a strong one', () => {
    expect(gzipEtag('"abc"')).toBe('"abc-gzip"');
    expect(gzipEtag('W/"abc"')).toBe('W/"abc"');
  });
});
