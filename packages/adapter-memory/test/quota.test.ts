/** MemoryAdapter's quota (RFC 4331): the shared quota suite, and the option's validation. */
import { describe, expect, it } from '@jest/globals';
import { MemoryAdapter } from '@davsync/adapter-memory';
import { defineQuotaSuite } from '@davsync/core/testing';

defineQuotaSuite({ name: 'memory', create: (quotaBytes) => new MemoryAdapter(quotaBytes === undefined ? {} : { quotaBytes }) });

describe('MemoryAdapter quotaBytes', () => {
  it('must be a whole number of bytes', () => {
    for (const bad of [-1, 1.5, Number.NaN, '100' as unknown as number]) {
      expect(() => new MemoryAdapter({ quotaBytes: bad })).toThrow(/quotaBytes/);
    }
    expect(() => new MemoryAdapter({ quotaBytes: 0 })).not.toThrow();
  });
});
