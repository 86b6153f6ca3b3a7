/**
 * @davsync/adapter-postgres — public API. Everything exported here is
 * subject to semver; anything not exported is internal.
 */
export { openPostgresStore } from './postgres-store';
export type { PostgresStore, PostgresStoreOptions } from './postgres-store';
export { PostgresAdapter } from './postgres-adapter';
export type { PostgresAdapterOptions } from './postgres-adapter';
export { PostgresJournal } from './postgres-journal';
export { PostgresRevocationLog } from './postgres-revocation-log';
export { PostgresLockStore } from './postgres-lock-store';
export type { PostgresLockStoreOptions } from './postgres-lock-store';
export { PostgresPushRegistrationStore } from './postgres-push-registration-store';
export { PostgresChangeFeed, changeChannel } from './postgres-change-feed';
export type { PostgresChangeFeedOptions } from './postgres-change-feed';
export type { PostgresPushRegistrationStoreOptions } from './postgres-push-registration-store';
export type { PostgresJournalOptions } from './postgres-journal';
export { migrate, SCHEMA_VERSION } from './schema';
export { CHUNK_SIZE } from './bodies';
export { databaseError } from './pg-errors';
export { PostgresUploadStore } from './uploads/postgres-upload-store';
export type { PostgresUploadStoreOptions } from './uploads/postgres-upload-store';
