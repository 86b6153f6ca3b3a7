/**
 * @davsync/core/testing — the storage-adapter conformance kit, public API.
 * Everything exported here is subject to semver; anything not exported is
 * internal. It needs jest (`@jest/globals`, an optional peer dependency) and
 * is meant to be imported from test files only.
 */
import { afterEach, beforeEach, describe } from '@jest/globals';
import type { StorageAdapter } from '../adapter';
import { TestRegistry, type Harness, type SuiteName } from './harness';
import { atomicitySuite } from './suites/atomicity';
import { checksumsSuite } from './suites/checksums';
import { crudSuite } from './suites/crud';
import { etagsSuite } from './suites/etags';
import { largeSuite } from './suites/large';
import { propertiesSuite } from './suites/properties';
import { syncSuite } from './suites/sync';
import { transferSuite } from './suites/transfer';
import { fileIdsSuite, timesSuite } from './suites/times';
import { defineSyncModelSuite } from './sync-model';

export { bodyOf, chunked, failingBody, patternBytes, pausedBody, readAll } from './bodies';
export type { PausedBody } from './bodies';
export { COLLECTION, listAll, listAllInBatches, readText, seed, snapshot, writeText } from './tree';
export type { TreeSpec } from './tree';
export { expectDavError } from './assertions';
/** Starts the hashing thread another way (one that fails), or the default way again with `undefined`. */
export { useHashingWorkerFactory } from '../hashing-thread';
export { defineSyncModelSuite } from './sync-model';
export type { SyncModelSuiteOptions } from './sync-model';
export { defineJournalSuite } from './journal-suite';
export type { JournalSuiteContext, JournalSuiteOptions } from './journal-suite';
export { defineLockStoreSuite } from './lock-store-suite';
export type { LockSuiteContext, LockSuiteOptions } from './lock-store-suite';
export { defineQuotaSuite } from './quota-suite';
export type { QuotaSuiteOptions } from './quota-suite';
export { definePushRegistrationStoreSuite } from './push-registration-store-suite';
export type { PushRegistrationSuiteContext, PushRegistrationSuiteOptions } from './push-registration-store-suite';

export interface AdapterSuiteOptions {
  /** Names the adapter in the test titles. */
  readonly name: string;
  /**
   * A fresh, empty store (only the root collection) for every test. When it
   * returns synchronously, one extra adapter is created (and cleaned up)
   * while the tests are defined, to learn whether it has `properties`.
   */
  readonly create: () => Promise<StorageAdapter> | StorageAdapter;
  /** Releases what `create` made (temporary directories, connections). */
  readonly cleanup?: (adapter: StorageAdapter) => Promise<void> | void;
  /**
   * Tests or whole suites (`crud`, `etags`, `transfer`, `properties`,
   * `atomicity`, `large`, `sync`, `times`: client modification times,
   * `file-ids`: stable member IDs, `checksums`, and `sync-model`: the randomized sync
   * model test) this adapter does not pass, each with the reason,
   * which documents how the adapter differs. Skipping `properties` also
   * skips the dead-property tests of `transfer`. A key that names nothing in
   * the kit fails a test, so skips cannot go stale silently.
   */
  readonly skip?: Readonly<Record<string, string>>;
}

const SUITES: ReadonlyArray<readonly [SuiteName, (t: Harness) => void]> = [
  ['crud', crudSuite],
  ['etags', etagsSuite],
  ['transfer', transferSuite],
  ['properties', propertiesSuite],
  ['atomicity', atomicitySuite],
  ['large', largeSuite],
  ['sync', syncSuite],
  ['times', timesSuite],
  ['file-ids', fileIdsSuite],
  ['checksums', checksumsSuite],
];

/**
 * Defines the conformance tests of the `StorageAdapter` contract for one
 * adapter, in a `describe` block named after it. Call it once at the top
 * level of a test file.
 *
 * @example
 * import { defineAdapterSuite } from '@davsync/core/testing';
 * import { MemoryAdapter } from '@davsync/adapter-memory';
 *
 * defineAdapterSuite({ name: 'memory', create: () => new MemoryAdapter() });
 */
export function defineAdapterSuite(options: AdapterSuiteOptions): void {
  const skip = options.skip ?? {};
  let current: StorageAdapter | undefined;
  const registry = new TestRegistry({
    name: options.name,
    skip,
    hasProperties: Object.hasOwn(skip, 'properties') ? undefined : probeProperties(options),
    current: () => {
      if (current === undefined) throw new Error('davsync: no adapter: create() has not run for this test');
      return current;
    },
  });

  describe(`StorageAdapter conformance: ${options.name}`, () => {
    beforeEach(async () => {
      current = await options.create();
    });
    afterEach(async () => {
      const adapter = current;
      current = undefined;
      if (adapter !== undefined) await options.cleanup?.(adapter);
    });
    for (const [name, define] of SUITES) describe(name, () => define(registry.harness(name)));
    registry.defineSkipCheck();
  });
  if (!Object.hasOwn(skip, 'sync-model')) {
    defineSyncModelSuite({ name: options.name, create: options.create, ...(options.cleanup ? { cleanup: options.cleanup } : {}) });
  }
}

/**
 * Whether the adapter has a dead-property store, learnt from one adapter made
 * now, while tests are being defined (jest cannot skip a test once it runs).
 * `undefined` when `create` is asynchronous: each property test then checks
 * for itself and explains how to declare the skip.
 */
function probeProperties(options: AdapterSuiteOptions): boolean | undefined {
  const release = (adapter: StorageAdapter): void => {
    // Nothing waits on a probe's cleanup; its failure must not fail the definition.
    Promise.resolve()
      .then(() => options.cleanup?.(adapter))
      .catch(() => undefined);
  };
  const made = options.create();
  if ('then' in made) {
    made.then(release, () => undefined);
    return undefined;
  }
  const has = made.properties !== undefined;
  release(made);
  return has;
}
export { defineUploadStoreSuite } from './upload-store-suite';
export type { UploadStoreSuiteOptions } from './upload-store-suite';
