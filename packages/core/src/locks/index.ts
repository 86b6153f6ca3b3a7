// WebDAV write locks (RFC 4918 §6–7): the values and rules (lock.ts), the
// store contract (lock-store.ts), the in-memory store and the row codec of
// the stores that keep locks in a SQL table (stored-lock-row.ts).
export {
  LOCK_DEFAULTS,
  checkLockRequest,
  checkTimeout,
  conflictsWith,
  decideLock,
  grantLock,
  grantedSeconds,
  isLive,
  lockCovers,
  lockSettings,
  newLockToken,
  refreshedLock,
  tooManyLocks,
} from './lock';
export type { ActiveLock, LockDepth, LockLimits, LockRequest, LockResult, LockScope, LockSettings, LockStoreOptions } from './lock';
export type { LockStore } from './lock-store';
export { MemoryLockStore } from './memory-lock-store';
export { STORED_LOCK_COLUMNS, lockOfRow, storedLockValues, subtreeBounds } from './stored-lock-row';
export type { StoredLockRow } from './stored-lock-row';
