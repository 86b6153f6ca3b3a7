import type { Change, ChangeSet, StorageAdapter } from '@davsync/core';
import { SyncEngine, type SyncEngineOptions } from '@davsync/core';

/**
 * An adapter that refuses every operation: the delta tests drive the engine
 * through `record()` only, so they exercise the journal and the RFC rules
 * without any store.
 */
export const noStore: StorageAdapter = {
  stat: async () => undefined,
  list: () => {
    throw new Error('not used');
  },
  read: async () => {
    throw new Error('not used');
  },
  write: async () => {
    throw new Error('not used');
  },
  remove: async () => undefined,
  mkcol: async () => {
    throw new Error('not used');
  },
  copy: async () => ({ created: true }),
  move: async () => ({ created: true }),
};

export function journalEngine(options: Partial<SyncEngineOptions> = {}): SyncEngine {
  return new SyncEngine({ adapter: noStore, ...options });
}

/** A compact, order-preserving view of a change set for assertions. */
export function summary(set: ChangeSet): string[] {
  return set.changes.map(describeChange);
}

export function describeChange(c: Change): string {
  switch (c.type) {
    case 'changed':
      return `changed ${c.path}${c.collection ? '/' : ''} ${c.etag}`;
    case 'removed':
      return `removed ${c.path}${c.collection ? '/' : ''}`;
    case 'forbidden':
      return `forbidden ${c.path} ${c.reason}`;
  }
}

export const file = (path: string, etag: string) => ({ path, etag });
export const dir = (path: string, etag = 'd') => ({ path, etag, collection: true });
export const gone = (path: string, collection = false) => ({ path, removed: true, collection });
