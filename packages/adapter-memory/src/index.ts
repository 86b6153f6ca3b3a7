/**
 * @davsync/adapter-memory — public API. Everything exported here is subject
 * to semver; anything not exported is internal.
 */
export { MemoryAdapter } from './memory-adapter';
export type { MemoryAdapterOptions } from './memory-adapter';
