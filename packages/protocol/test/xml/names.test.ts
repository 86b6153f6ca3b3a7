import { describe, expect, it } from '@jest/globals';
import { DAV, clark, splitClark } from '../../src/xml/names';

describe('Clark names', () => {
  it('write a namespace and a local name as {ns}local, and a name in no namespace bare', () => {
    expect(clark('DAV:', 'sync-token')).toBe('{DAV:}sync-token');
    expect(clark('', 'x')).toBe('x');
  });

  it('split back into namespace and local name', () => {
    expect(splitClark('{urn:ns.example.com:boxschema}bigbox')).toEqual({ ns: 'urn:ns.example.com:boxschema', local: 'bigbox' });
    expect(splitClark('x')).toEqual({ ns: '', local: 'x' });
    expect(splitClark('{}x')).toEqual({ ns: '', local: 'x' });
  });

  it('refuse a broken Clark name as a programming error', () => {
    expect(() => splitClark('{DAV:sync-token')).toThrow(TypeError);
    expect(() => splitClark('{DAV:}')).toThrow(TypeError);
  });

  it('declare every DAV: name once, in the DAV: namespace', () => {
    const values = Object.values(DAV);
    expect(new Set(values).size).toBe(values.length);
    for (const name of values) expect(splitClark(name).ns).toBe('DAV:');
    expect(DAV.syncToken).toBe('{DAV:}sync-token');
    expect(DAV.numberOfMatchesWithinLimits).toBe('{DAV:}number-of-matches-within-limits');
  });
});
