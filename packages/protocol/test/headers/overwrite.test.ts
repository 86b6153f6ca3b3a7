import { describe, expect, it } from '@jest/globals';
import { parseOverwrite } from '../../src/headers/overwrite';
import { expectProtocolError } from '../xml/plain';

describe('Overwrite (RFC 4918 §10.6)', () => {
  it('reads T and F', () => {
    expect(parseOverwrite('T')).toBe(true);
    expect(parseOverwrite('F')).toBe(false);
  });

  it('MUST be treated as T when absent', () => {
    expect(parseOverwrite(undefined)).toBe(true);
  });

  it('accepts lower case and surrounding white space', () => {
    expect(parseOverwrite(' f ')).toBe(false);
    expect(parseOverwrite('t')).toBe(true);
  });

  it.each(['', 'true', 'false', 'Y', 'N', '1', '0', 'T F'])('refuses %j with a 400', async (v) => {
    await expectProtocolError(() => parseOverwrite(v), 'bad-request');
  });
});
