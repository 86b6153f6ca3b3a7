#!/usr/bin/env node
// SQLite journal benchmark (@davsync/adapter-fs SqliteJournal). Measures, in one run:
//  1. committing 100 000 single-entry commits, each its own durable
//     transaction (WAL, synchronous = FULL: one fsync per commit);
//  2. a delta sync of k = 10 changes (5 modified, 3 added, 2 removed) at
//     level 1 and level infinite in a collection of 1 000 and of 100 000
//     members (the large one is the collection built by step 1).
// The state databases live in a temporary directory under os.tmpdir(), so
// the commit figure is that file system's fsync cost; it is removed at exit.
// Run: npx tsc -b && node bench/journal-sqlite.js
'use strict';
const { deltaTable, timeTenChangeDelta } = require('./support/delta');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SyncEngine } = require('@davsync/core');
const { SqliteJournal } = require('@davsync/adapter-fs');

const noStore = {
  stat: async () => undefined, list: () => { throw new Error('unused'); }, read: async () => { throw new Error('unused'); },
  write: async () => { throw new Error('unused'); }, remove: async () => undefined, mkcol: async () => { throw new Error('unused'); },
  copy: async () => ({ created: true }), move: async () => ({ created: true }),
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-journal-'));
let files = 0;
const newJournal = () => SqliteJournal.open(path.join(dir, `j${files++}`, 'state.db'));

/** Fills `/book` with n members, one commit each; returns the wall time in ms. */
async function singleCommits(journal, n) {
  await journal.commit([{ path: '/book', removed: false, collection: true, etag: 'd' }]);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await journal.commit([{ path: `/book/m${i}.vcf`, removed: false, collection: false, etag: `e${i}` }]);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function tenChanges(engine, n) {
  for (let i = 0; i < 5; i++) await engine.record([{ path: `/book/m${Math.floor((i * n) / 5)}.vcf`, etag: `changed${i}` }]);
  for (let i = 0; i < 3; i++) await engine.record([{ path: `/book/new${i}.vcf`, etag: 'new' }]);
  for (let i = 0; i < 2; i++) await engine.record([{ path: `/book/m${n - 1 - i}.vcf`, removed: true }]);
}

/** Delta timings on a journal whose `/book` holds n members. */
async function deltaBench(journal, n) {
  const engine = new SyncEngine({ adapter: noStore, journal });
  const token = await engine.currentToken('/book');
  await tenChanges(engine, n);
  const out = await timeTenChangeDelta(engine, token, n, { runs: 1000, warmup: 200 });
  await engine.close();
  return out;
}

(async () => {
  const N = 100_000;
  const big = newJournal();
  const commitMs = await singleCommits(big, N);
  const small = newJournal();
  await singleCommits(small, 1_000);
  const warm = newJournal();
  await singleCommits(warm, 100);
  await deltaBench(warm, 100); // warm the JIT on the whole path first
  const rows = [await deltaBench(small, 1_000), await deltaBench(big, N)];
  const dbBytes = fs.statSync(path.join(dir, 'j0', 'state.db')).size;

  const f = (x) => x.toFixed(1);
  console.log(`# SQLite journal benchmark — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; databases in ${os.tmpdir()}`);
  console.log('\n| single-entry commits (WAL, synchronous = FULL) | total s | µs per commit | commits/s |');
  console.log('|---:|---:|---:|---:|');
  console.log(`| ${N.toLocaleString('en')} | ${(commitMs / 1000).toFixed(2)} | ${f((commitMs * 1000) / N)} | ${Math.round(N / (commitMs / 1000)).toLocaleString('en')} |`);
  console.log(`\nstate.db after ${N.toLocaleString('en')} members, checkpointed on close: ${(dbBytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`\n${deltaTable(rows)}`);
})()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
