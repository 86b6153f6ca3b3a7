import { describe, expect, it } from '@jest/globals';
import { formatSyncToken, newIncarnation, parseSyncToken } from '@davsync/core';

describe('sync tokens', () => {
  it('are absolute URIs that round-trip', () => {
    const t = formatSyncToken({ incarnation: 'abcdef1234', revision: 42 });
    expect(t).toMatch(/^[a-z][a-z0-9+.-]*:/);
    expect(parseSyncToken(t)).toEqual({ incarnation: 'abcdef1234', revision: 42 });
  });

  it('refuse anything not in the exact format', () => {
    for (const bad of [
      '',
      'urn:x-davsync:sync:abcdef1234',
      'urn:x-davsync:sync:abcdef1234:01',
      'urn:x-davsync:sync:abcdef1234:1.5',
      'urn:x-davsync:sync:ABCDEF1234:1',
      'urn:x-davsync:sync:abcdef1234:99999999999999999',
      ' urn:x-davsync:sync:abcdef1234:1',
      'http://example.com/sync/1',
    ]) {
      expect(parseSyncToken(bad)).toBeUndefined();
    }
  });

  it('use incarnations that do not repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, newIncarnation));
    expect(seen.size).toBe(1000);
    for (const i of seen) expect(i).toMatch(/^[a-z0-9]{16,}$/);
  });
});
