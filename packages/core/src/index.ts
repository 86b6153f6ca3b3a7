/**
 * @davsync/core — public API. Everything exported here is subject to semver;
 * anything not exported is internal.
 */
export type { ByteRange, ByteStream, Entry } from './entry';
export type { CopyOptions, DeadPropertyStore, MoveOptions, ReadOptions, StorageAdapter, TransferResult, WriteOptions } from './adapter';
export { CHECKSUM_ALGORITHMS, DIGEST_LENGTH, checksummedWrite, checksumsOf, hashWhileReading, isChecksums, verifyChecksums } from './checksums';
export type { ChecksumAlgorithm, ChecksumPolicy, Checksums, HashedBody } from './checksums';
export { abortableBody, adapterTree, listInBatches } from './listing';
export { DavError, isDavError, notFound, conflict, invalidSyncToken, preconditionFailed, badRequest, forbidden, methodNotAllowed } from './errors';
export { checkOverwrite, checkTransferPaths } from './transfer-checks';
export type { DavErrorCode } from './errors';
export { ROOT, normalizePath, isMemberPath, parentOf, baseName, childPath, isWithin, ancestorsOf, rebase } from './paths';
export type { CollectionState, JournalChange, JournalEntry, JournalStore, PruneRule, SyncLevel } from './journal';
export { checkJournalChange } from './journal';
export { MemoryJournal } from './memory-journal';
export type { MemoryJournalOptions } from './memory-journal';
export { SYNC_TOKEN_PREFIX, formatSyncToken, parseSyncToken, newIncarnation } from './sync-token';
export type { SyncTokenParts } from './sync-token';
export { DeltaCursor, planDelta } from './delta';
export type { Change, ChangeSet, DeltaOptions, DeltaSettings, DeltaView, UnsyncableReason } from './delta';
export { retentionSchema, pruneRule } from './retention';
export type { RetentionOptions, RetentionPolicy } from './retention';
export { MemoryRevocationLog, accessView } from './revocations';
export type { DeltaAccess, RevocationLog } from './revocations';
export { SyncEngine } from './engine';
export type { EngineWriteOptions, SyncEngineOptions } from './engine';
export { SyncLog } from './sync-log';
export { formatOptionsError } from './options-error';
export type { RecentChange, RecentChanges, RecentChangesOptions, RecordedChange, SyncLogOptions } from './sync-log';
export { affectedCollections } from './change-events';
export type { SyncLogChange, SyncLogListener } from './change-events';
export { changeOf, journalChangesOf, reconcileChanges, removalChanges } from './journal-changes';
export type { JournalReader, TreeMutation, TreeReader } from './journal-changes';
export { EntryTree } from './entry-tree';
export { PathLock } from './path-lock';
export * from './locks/index';
export type { ActiveLock, LockDepth, LockLimits, LockRequest, LockResult, LockScope, LockSettings, LockStore, LockStoreOptions } from './locks/index';
