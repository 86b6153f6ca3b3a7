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
export type { FeedCursor, FeedItem, FeedLimits, FullListing, SyncScope } from './remote/change-feed';
export type { EntryKind, RemoteChange, RemoteEntry } from './remote/remote-entry';
export { RemoteError, isRemoteError } from './remote/remote-error';
export type { RemoteErrorKind } from './remote/remote-error';
export type { Credentials } from './remote/remote-http';
export { RemotePaths } from './remote/remote-paths';
