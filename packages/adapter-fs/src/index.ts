// The public API of @davsync/adapter-fs: what the README documents, and
// nothing else. Everything else is internal; the tests import it by relative
// path, so it can change without a major version.

// A ready-to-serve store (what most users need).
export { openFsStore } from './store/fs-store';
export type { FsStore, FsStoreOptions } from './store/fs-store';
export { UnusableDirectoryError } from './store/make-directory';

// The parts `openFsStore` assembles, for assembling a store yourself.
export { FsAdapter } from './adapter/fs-adapter';
export type { FsAdapterOptions } from './adapter/fs-adapter';
export { ListingThread } from './listing/listing-thread';
export { openStateDb, STATE_DB_VERSION } from './journal/state-db';
export type { StateDatabase, StateDbOptions } from './journal/state-db';
export { SqliteJournal } from './journal/journal-store';
// `JournalWrites` (and the `GroupOutcome` it returns) is the type of
// `SqliteJournalOptions.writes`, which `JournalWriterThread` implements.
export type { GroupOutcome, JournalWrites, SqliteJournalOptions } from './journal/journal-store';
export { JournalWriterThread } from './journal/journal-writer';
export { SqliteRevocationLog } from './journal/sqlite-revocation-log';
export { SqliteLockStore } from './journal/sqlite-lock-store';
export { SqlitePushRegistrationStore } from './journal/sqlite-push-registration-store';
export { SqlitePropertyTable } from './properties/sqlite-property-table';
export { SqliteFileIdTable } from './properties/sqlite-file-id-table';
export { MemoryFileIdTable } from './properties/file-ids';
export type { FileIdRow, FileIdTable } from './properties/file-ids';
export type { PropertyTable } from './properties/property-table';
export { contentTypeFor } from './properties/content-type';
export { FsUploadStore } from './uploads/fs-upload-store';
