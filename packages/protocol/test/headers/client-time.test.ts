import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LATEST_CLIENT_TIME_MS, parseOcMtime, parseUnixSeconds } from '../../src/headers/client-time';
import { parseHttpDate } from '../../src/headers/http-date';
import { ProtocolError } from '../../src/protocol-error';
import { fuzzParams, fuzzTimeout } from '../fuzz/generators';
import { expectProtocolError } from '../xml/plain';

describe('X-OC-Mtime and DAV:lastmodified: Unix seconds', () => {
  it('reads integer and decimal seconds to the millisecond, dropping further digits', () => {
    expect(parseUnixSeconds('1700000000')?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseUnixSeconds('0')?.getTime()).toBe(0);
    expect(parseUnixSeconds('1.5')?.getTime()).toBe(1500);
    expect(parseUnixSeconds('1.123987654')?.getTime()).toBe(1123);
    expect(parseUnixSeconds(' 42 ')?.getTime()).toBe(42_000);
  });

  it('accepts the last second of year 9999 and nothing later', () => {
    expect(parseUnixSeconds('253402300799')?.getTime()).toBe(LATEST_CLIENT_TIME_MS);
    expect(parseUnixSeconds('253402300799.5')).toBeUndefined();
    expect(parseUnixSeconds('253402300800')).toBeUndefined();
    expect(parseUnixSeconds('999999999999999')).toBeUndefined();
  });

  it.each(['', ' ', '-1', '+1', '1e9', '0x10', '1.', '.5', '1,5', '12 34', 'NaN', 'Infinity', '1.1234567890', '1000000000, 1000000001', '١٢٣'])(
    'refuses %j',
    (v) => {
      expect(parseUnixSeconds(v)).toBeUndefined();
    },
  );

  it('parseOcMtime: absent is undefined, garbage a 400 naming the header', async () => {
    expect(parseOcMtime(undefined)).toBeUndefined();
    expect(parseOcMtime('1000000000')?.getTime()).toBe(1_000_000_000_000);
    const err = await expectProtocolError(() => parseOcMtime('yesterday'), 'bad-request');
    expect(err.message).toMatch(/X-OC-Mtime/);
  });

  it('fuzz: any string is a date from 1970 to 9999 or a bad-request, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9.\- e+]{0,20}$/)), (value) => {
        try {
          const d = parseOcMtime(value);
          expect(d?.getTime()).toBeGreaterThanOrEqual(0);
          expect(d?.getTime()).toBeLessThanOrEqual(LATEST_CLIENT_TIME_MS);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).reason).toBe('bad-request');
        }
      }),
      fuzzParams(4),
    );
  }, fuzzTimeout(4));
});

describe('Win32LastModifiedTime: an HTTP-date (IMF-fixdate)', () => {
  it('reads the form Windows sends', () => {
    expect(parseHttpDate('Wed, 02 Dec 2026 07:00:00 GMT')?.toISOString()).toBe('2026-12-02T07:00:00.000Z');
  });

  it.each(['', '2026-12-02T07:00:00Z', 'Wed, 2 Dec 2026 07:00:00 GMT', 'Wed, 02 Dec 2026 07:00:00 UTC', 'Mon, 31 Feb 2026 00:00:00 GMT', 'Tue, 02 Dec 2026 07:00:00 GMT', 'Wednesday, 02-Dec-26 07:00:00 GMT'])(
    'refuses %j',
    (v) => {
      expect(parseHttpDate(v)).toBeUndefined();
    },
  );
});
