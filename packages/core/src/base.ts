/**
 * `@davsync/core/base`: the parts of the core that load nothing else —
 * errors, member paths, the journal-change check and incarnation ids —
 * without the engine and its option schemas (zod).
 *
 * For the fs store's worker threads: each thread loads its own copy of
 * every module it imports, and the full core (zod above all) made the
 * journal writer thread take 150–400 ms to start, which `davsync serve`
 * waited for before it could listen. Everything here is also exported by
 * `@davsync/core`, as the same objects (one module each), so a `DavError`
 * made here is a `DavError` there.
 *
 * @internal Not part of the semver API: import `@davsync/core`.
 * @packageDocumentation
 */
export { DavError, isDavError, notFound, conflict, invalidSyncToken, preconditionFailed, badRequest, forbidden } from './errors';
export type { DavErrorCode } from './errors';
export { ROOT, normalizePath, isMemberPath, parentOf, baseName, childPath, isWithin, ancestorsOf, rebase } from './paths';
export type { CollectionState, JournalChange, JournalEntry, JournalStore, PruneRule, SyncLevel } from './journal';
export { checkJournalChange } from './journal';
export { newIncarnation } from './sync-token';
