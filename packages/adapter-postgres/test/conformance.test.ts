/**
 * The core's conformance kits against a real PostgreSQL server: the
 * storage-adapter contract, the journal-store contract (with the
 * differential test against MemoryJournal), and the sync model over the
 * self-journaling adapter.
 */
import { defineAdapterSuite, defineJournalSuite, defineSyncModelSuite } from '@davsync/core/testing';
import { PostgresJournal } from '../src/index';
import { dropSchema, freshAdapter, freshSchema, newPool, releaseAdapter } from './support/postgres';

defineAdapterSuite({
  name: 'postgres',
  create: () => freshAdapter(),
  cleanup: (adapter) => releaseAdapter(adapter),
  skip: {
    'sync-model': 'run below with its own run count: each run needs a fresh schema, too slow for 2 × 400 runs by default',
  },
});

const journals = new WeakMap<object, { release: () => Promise<void> }>();

defineJournalSuite({
  name: 'PostgresJournal',
  create: async ({ now }) => {
    const schema = await freshSchema();
    const pool = await newPool(3);
    const journal = new PostgresJournal({ pool, schema, now, ownsPool: true });
    // The pool is the journal's: close() ends it, and only the schema remains to drop.
    journals.set(journal, { release: () => dropSchema(schema) });
    return journal;
  },
  cleanup: async (store) => journals.get(store)?.release(),
  runs: Number(process.env['DAVSYNC_JOURNAL_RUNS']) || 50,
});

defineSyncModelSuite({
  name: 'PostgresAdapter (self-journaling)',
  create: () => freshAdapter(),
  cleanup: (adapter) => releaseAdapter(adapter),
  runs: Number(process.env['DAVSYNC_MODEL_RUNS']) || 40,
});
