import { describe, expect, it } from '@jest/globals';
import { parseDepth } from '../../src/headers/depth';
import { expectProtocolError } from '../xml/plain';

describe('Depth (RFC 4918 §10.2)', () => {
  it('reads 0, 1 and infinity', () => {
    expect(parseDepth('0')).toBe(0);
    expect(parseDepth('1')).toBe(1);
    expect(parseDepth('infinity')).toBe('infinity');
  });

  it('is undefined when absent, so each method applies its own default', () => {
    expect(parseDepth(undefined)).toBeUndefined();
  });

  it('ignores surrounding white space and reads infinity case-insensitively', () => {
    expect(parseDepth(' 1\t')).toBe(1);
    expect(parseDepth('Infinity')).toBe('infinity');
    expect(parseDepth('INFINITY')).toBe('infinity');
  });

  it.each(['', '2', '-1', '01', 'infinite', 'inf', '0, 1', '1 1', 'one', '0x0'])('refuses %j with a 400', async (v) => {
    await expectProtocolError(() => parseDepth(v), 'bad-request');
  });
});
