/**
 * The quota conformance suite (RFC 4331): for a store that keeps a running
 * total of its bytes under an optional `quotaBytes` (memory, PostgreSQL),
 * the figures `quota` reports after every kind of mutation, and the
 * refusal of a write or COPY that would pass the quota, which must store
 * nothing. The totals are checked against the sizes written, so a store
 * that forgot a mutation (a DELETE, an overwrite, a COPY onto a subtree)
 * fails.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { StorageAdapter } from '../adapter';
import { isDavError } from '../errors';
import { bodyOf, patternBytes } from './bodies';
import { readText, writeText } from './tree';

export interface QuotaSuiteOptions {
  /** Names the store in the test titles. */
  readonly name: string;
  /** A fresh, empty store (only the root) with this quota, or none. */
  readonly create: (quotaBytes: number | undefined) => Promise<StorageAdapter> | StorageAdapter;
  /** Releases what `create` made. */
  readonly cleanup?: (adapter: StorageAdapter) => Promise<void> | void;
}

const text = (bytes: number): string => 'x'.repeat(bytes);

/**
 * Defines the quota tests for one store, in a `describe` block named after
 * it. Call it once at the top level of a test file.
 *
 * @example
 * defineQuotaSuite({ name: 'memory', create: (quotaBytes) => new MemoryAdapter({ quotaBytes }) });
 */
export function defineQuotaSuite(options: QuotaSuiteOptions): void {
  describe(`quota (RFC 4331): ${options.name}`, () => {
    let opened: StorageAdapter[] = [];
    const fresh = async (quotaBytes?: number): Promise<StorageAdapter & Required<Pick<StorageAdapter, 'quota'>>> => {
      const adapter = await options.create(quotaBytes);
      opened.push(adapter);
      if (adapter.quota === undefined) throw new Error(`${options.name} has no quota method`);
      return adapter as StorageAdapter & Required<Pick<StorageAdapter, 'quota'>>;
    };
    afterEach(async () => {
      const all = opened;
      opened = [];
      for (const a of all) await options.cleanup?.(a);
    });

    /** Expects a quota refusal: 507 `DAV:quota-not-exceeded`. */
    const refused = async (action: () => Promise<unknown>): Promise<void> => {
      const err = await action().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDavError(err, 'insufficient-storage') && err.condition === 'quota-not-exceeded').toBe(true);
    };

    it('without a quota: used bytes, no available bytes', async () => {
      const a = await fresh();
      expect(await a.quota('/')).toEqual({ used: 0 });
      await writeText(a, '/a', text(10));
      expect(await a.quota('/')).toEqual({ used: 10 });
    });

    it('keeps the total through overwrite, mkcol, copy (deep and depth 0), move onto a subtree and delete', async () => {
      const a = await fresh(10_000);
      const used = async (): Promise<number | undefined> => (await a.quota('/'))?.used;
      await writeText(a, '/a', text(100));
      await writeText(a, '/a', text(40)); // overwrite: 40, not 140
      expect(await used()).toBe(40);
      await a.mkcol('/c');
      await writeText(a, '/c/x', text(7));
      await writeText(a, '/c/y', text(3));
      expect(await used()).toBe(50);
      await a.copy('/c', '/d'); // copies count again: 10 more
      expect(await used()).toBe(60);
      await a.copy('/c', '/e', { depth: 0 }); // a collection alone holds nothing
      expect(await used()).toBe(60);
      await a.move('/a', '/d'); // replaces /d (10 bytes) with /a (40)
      expect(await used()).toBe(50);
      await a.copy('/c/x', '/c/y'); // overwrites 3 with 7
      expect(await used()).toBe(54);
      await a.remove('/c');
      expect(await used()).toBe(40);
      expect(await a.quota('/')).toEqual({ used: 40, available: 9_960 });
    });

    it('answers on every collection and not for a file or a missing path', async () => {
      const a = await fresh(100);
      await a.mkcol('/c');
      await writeText(a, '/c/f', text(30));
      expect(await a.quota('/c')).toEqual({ used: 30, available: 70 });
      expect(await a.quota('/c/f')).toBeUndefined();
      expect(await a.quota('/nope')).toBeUndefined();
    });

    it('refuses a write that would pass the quota (507 quota-not-exceeded) and keeps the old content', async () => {
      const a = await fresh(100);
      await writeText(a, '/a', text(60));
      await writeText(a, '/b', text(30));
      await refused(() => writeText(a, '/c', text(11)));
      expect(await a.stat('/c')).toBeUndefined();
      await refused(() => writeText(a, '/b', text(41))); // 60 + 41
      expect(await readText(a, '/b')).toBe(text(30));
      expect(await a.quota('/')).toEqual({ used: 90, available: 10 });
      // Exactly full is allowed, and an overwrite counts only the difference.
      await writeText(a, '/b', text(40));
      expect(await a.quota('/')).toEqual({ used: 100, available: 0 });
      await writeText(a, '/a', text(60));
    });

    it('refuses an upload far past the quota and stores nothing', async () => {
      const a = await fresh(64 * 1024);
      const big = patternBytes(1024 * 1024, 7);
      const chunks = Array.from({ length: 16 }, (_, i) => big.subarray(i * 65_536, (i + 1) * 65_536));
      await refused(() => a.write('/big', bodyOf(...chunks)));
      expect(await a.stat('/big')).toBeUndefined();
      expect(await a.quota('/')).toEqual({ used: 0, available: 64 * 1024 });
    });

    it('refuses a COPY that would pass the quota and copies nothing', async () => {
      const a = await fresh(100);
      await a.mkcol('/c');
      await writeText(a, '/c/x', text(30));
      await writeText(a, '/c/y', text(30));
      await refused(() => a.copy('/c', '/d'));
      expect(await a.stat('/d')).toBeUndefined();
      expect(await a.quota('/')).toEqual({ used: 60, available: 40 });
      await a.copy('/c/x', '/x'); // 30 fits
      expect(await a.quota('/')).toEqual({ used: 90, available: 10 });
    });
  });
}
