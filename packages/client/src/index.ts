/**
 * `@davsync/client`: the client side of davsync. A remote collection's
 * changes (RFC 6578 sync-collection with paging and fallbacks, or a
 * PROPFIND walk where the server has no sync) and conditional file
 * operations; the state, planner and executor behind `davsync sync` build on them.
 *
 * @packageDocumentation
 */
export { RemoteCollection } from './remote/remote-collection';
export type { RemoteCollectionOptions, WriteCondition, Written } from './remote/remote-collection';
export type { FeedCursor, FeedItem, FeedLimits, FullListing, SyncScope, Unreadable } from './remote/change-feed';
export { CHECK_ANSWERS_OF } from './remote/change-feed';
export type { EntryKind, RemoteChange, RemoteEntry } from './remote/remote-entry';
export { RemoteError, isRemoteError } from './remote/remote-error';
export type { RemoteErrorKind } from './remote/remote-error';
export type { Credentials } from './remote/remote-http';
export { RemotePaths } from './remote/remote-paths';

// The sync: three trees, the pure planner, the state database, the local scan.
export { conflictName } from './sync/conflict-name';
export { localChanged, remoteChanged } from './sync/entries';
export type { LocalEntry, SyncedEntry } from './sync/entries';
export { plan, unholdable } from './sync/planner';
export type { Action, PlanInput } from './sync/planner';
export { SyncState } from './state/sync-state';
export { STATE_DIR, scanLocal } from './local/local-scan';
export type { LocalScan } from './local/local-scan';
export { execute } from './sync/executor';
export type { ActionReport, ExecutorContext, Outcome } from './sync/executor';
export { SyncRefused, describeCounts, syncPass, syncUntilAgreed } from './sync/sync-pass';
export type { PassCounts, PassResult, SyncOptions } from './sync/sync-pass';
export { LocalFolder } from './local/local-files';

// Continuous mode: the folder watched, the server's change stream heard, passes on demand.
export { DEFAULT_FULL_SCAN_INTERVAL_MS, syncContinuously } from './sync/continuous-sync';
export type { ContinuousOptions, PassTrigger, Watcher } from './sync/continuous-sync';
export { FolderWatcher } from './local/folder-watcher';
export type { FolderWatcherHandlers } from './local/folder-watcher';
export { RemoteChangeStream } from './remote/remote-change-stream';
export type { ChangeStreamHandlers, StreamStatus } from './remote/remote-change-stream';
export type { Checksums } from './remote/remote-entry';
