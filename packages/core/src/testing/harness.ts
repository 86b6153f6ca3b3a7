/**
 * Registers the kit's tests with jest: a fresh adapter per test, skips that
 * always carry a reason, and the dead-property capability check. Suites only
 * see the small {@link Harness} interface.
 */
import { expect, it } from '@jest/globals';
import type { DeadPropertyStore, StorageAdapter } from '../adapter';

/** The suites of the kit; each name is also a valid `skip` key that skips the whole suite. */
export const SUITE_NAMES = ['crud', 'etags', 'transfer', 'properties', 'atomicity', 'large', 'sync', 'times', 'file-ids', 'checksums', 'sync-model'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** What a suite uses to declare its tests. */
export interface Harness {
  /** A test run against a fresh adapter. */
  test(name: string, body: (adapter: StorageAdapter) => Promise<void>, options?: TestOptions): void;
  /**
   * A test that needs `adapter.properties`. It is skipped when the adapter
   * has none, or when `skip` names `properties`.
   */
  testProperties(
    name: string,
    body: (adapter: StorageAdapter, properties: DeadPropertyStore) => Promise<void>,
    options?: TestOptions,
  ): void;
}

export interface TestOptions {
  /** Milliseconds; for the tests that move megabytes. */
  readonly timeout?: number;
}

export interface RegistryOptions {
  /** The adapter's name, for messages. */
  readonly name: string;
  /** Test or suite name → reason. */
  readonly skip: Readonly<Record<string, string>>;
  /**
   * Whether the adapter has a dead-property store: known when a probe could
   * create one synchronously, `undefined` when only a test can find out.
   */
  readonly hasProperties: boolean | undefined;
  /** The adapter created for the running test. */
  readonly current: () => StorageAdapter;
}

/** Collects every test name the kit defines, so skips can be checked against them. */
export class TestRegistry {
  readonly #options: RegistryOptions;
  readonly #names = new Set<string>();

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** The harness for one suite. */
  harness(suite: SuiteName): Harness {
    return {
      test: (name, body, options) => {
        this.#define(suite, name, this.#skipReason(suite, name), () => body(this.#options.current()), options);
      },
      testProperties: (name, body, options) => {
        const reason = this.#skipReason(suite, name) ?? this.#propertiesSkipReason();
        this.#define(suite, name, reason, () => body(this.#options.current(), this.#requireProperties()), options);
      },
    };
  }

  /**
   * A test that fails when `skip` names something the kit does not define
   * (a typo, or a test renamed since) or gives no reason. Defined only when
   * there are skips to check.
   */
  defineSkipCheck(): void {
    const entries = Object.entries(this.#options.skip);
    if (entries.length === 0) return;
    it('every skip names a suite or test of the kit and gives a reason', () => {
      const known = new Set<string>([...SUITE_NAMES, ...this.#names]);
      const unknown = entries.filter(([key]) => !known.has(key)).map(([key]) => key);
      const unexplained = entries.filter(([, reason]) => typeof reason !== 'string' || reason.trim() === '').map(([key]) => key);
      expect({ unknown, unexplained }).toEqual({ unknown: [], unexplained: [] });
    });
  }

  #define(suite: SuiteName, name: string, skipReason: string | undefined, run: () => Promise<void>, options: TestOptions = {}): void {
    // Names are the keys of `skip`, so two tests may not share one.
    if (this.#names.has(name)) throw new Error(`davsync: conformance kit defines "${name}" twice (suite ${suite})`);
    this.#names.add(name);
    if (skipReason !== undefined) it.skip(`${name} [skipped: ${skipReason}]`, () => undefined);
    else it(name, run, options.timeout);
  }

  #skipReason(suite: SuiteName, name: string): string | undefined {
    const { skip } = this.#options;
    return Object.hasOwn(skip, name) ? skip[name] : Object.hasOwn(skip, suite) ? skip[suite] : undefined;
  }

  #propertiesSkipReason(): string | undefined {
    const { skip, hasProperties } = this.#options;
    if (Object.hasOwn(skip, 'properties')) return skip.properties;
    return hasProperties === false ? 'the adapter has no dead-property store (`properties`)' : undefined;
  }

  #requireProperties(): DeadPropertyStore {
    const adapter = this.#options.current();
    if (adapter.properties !== undefined) return adapter.properties;
    throw new Error(
      `davsync: adapter "${this.#options.name}" has no \`properties\`, and the kit could not tell before running ` +
        `because \`create\` returns a promise; declare it with skip: { properties: '<why>' }`,
    );
  }
}
