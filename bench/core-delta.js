#!/usr/bin/env node
// Core engine benchmark (issue: core sync engine). Measures, in one run:
//  1. a delta sync of k = 10 changes (5 modified, 3 added, 2 removed) in
//     collections of 1 000, 100 000 and 1 000 000 members;
//  2. the same delta in a quiet collection beside a sibling that took
//     100 000 changes since the quiet client's token, versus without it;
//  3. journal memory per tracked member.
// Run: npm run bench   (or: node --expose-gc bench/core-delta.js after a build)
'use strict';
const { time } = require('./support/measure');
const os = require('node:os');
const { MemoryJournal, SyncEngine } = require('@davsync/core');

const noStore = {
  stat: async () => undefined, list: () => { throw new Error('unused'); }, read: async () => { throw new Error('unused'); },
  write: async () => { throw new Error('unused'); }, remove: async () => undefined, mkcol: async () => { throw new Error('unused'); },
  copy: async () => ({ created: true }), move: async () => ({ created: true }),
};

const gc = global.gc ?? (() => {});
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };

function populate(journal, dir, n, prefix = 'm') {
  const CHUNK = 50_000;
  for (let i = 0; i < n; i += CHUNK) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) batch.push({ path: `${dir}/${prefix}${j}.vcf`, removed: false, collection: false, etag: `e${j}` });
    journal.commitSync(batch);
  }
}

async function tenChanges(engine, dir, n) {
  for (let i = 0; i < 5; i++) await engine.record([{ path: `${dir}/m${Math.floor((i * n) / 5)}.vcf`, etag: `changed${i}` }]);
  for (let i = 0; i < 3; i++) await engine.record([{ path: `${dir}/new${i}.vcf`, etag: 'new' }]);
  for (let i = 0; i < 2; i++) await engine.record([{ path: `${dir}/m${n - 1 - i}.vcf`, removed: true }]);
}

async function deltaBench(n) {
  const before = heap();
  const journal = new MemoryJournal();
  journal.commitSync([{ path: '/book', removed: false, collection: true, etag: 'd' }]);
  populate(journal, '/book', n);
  const bytesPerMember = (heap() - before) / n;
  const engine = new SyncEngine({ adapter: noStore, journal });
  const token = await engine.currentToken('/book');
  await tenChanges(engine, '/book', n);
  const check = await engine.changes('/book', token, { level: 1 });
  if (check.changes.length !== 10 || check.changes.filter((c) => c.type === 'removed').length !== 2) throw new Error(`wrong delta at ${n}`);
  const t = await time(() => engine.changes('/book', token, { level: 1 }), { runs: 1000, warmup: 200, unit: 'us' });
  return { n, ...t, bytesPerMember };
}

async function quietBench(busyChanges) {
  const journal = new MemoryJournal();
  journal.commitSync([{ path: '/quiet', removed: false, collection: true, etag: 'd' }, { path: '/busy', removed: false, collection: true, etag: 'd' }]);
  populate(journal, '/quiet', 1000);
  const engine = new SyncEngine({ adapter: noStore, journal });
  const token = await engine.currentToken('/quiet');
  populate(journal, '/busy', busyChanges, 'b');
  await tenChanges(engine, '/quiet', 1000);
  const check = await engine.changes('/quiet', token, { level: 'infinite' });
  if (check.changes.length !== 10) throw new Error('wrong quiet delta');
  return time(() => engine.changes('/quiet', token, { level: 'infinite' }), { runs: 1000, warmup: 200, unit: 'us' });
}

(async () => {
  // Warm the JIT on the whole path first so the first measured size is not penalised.
  await deltaBench(1_000);
  await quietBench(0);
  const rows = [];
  for (const n of [1_000, 100_000, 1_000_000]) rows.push(await deltaBench(n));
  const quietAlone = await quietBench(0);
  const quietBusy = await quietBench(100_000);
  const f = (x) => x.toFixed(1);
  console.log(`# core delta benchmark — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log('\n| collection size | delta k=10 median µs | min µs | max µs | ratio to 1 000 | journal bytes/member |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.n.toLocaleString('en')} | ${f(r.median)} | ${f(r.min)} | ${f(r.max)} | ${(r.median / rows[0].median).toFixed(2)} | ${r.bytesPerMember.toFixed(0)} |`);
  console.log('\n| quiet collection (1 000 members, k=10, infinite) | median µs | min µs | max µs |');
  console.log('|---|---:|---:|---:|');
  console.log(`| alone | ${f(quietAlone.median)} | ${f(quietAlone.min)} | ${f(quietAlone.max)} |`);
  console.log(`| beside a sibling with 100 000 changes | ${f(quietBusy.median)} | ${f(quietBusy.min)} | ${f(quietBusy.max)} |`);
  console.log(`\nratio 1 000 000 / 1 000: ${(rows[2].median / rows[0].median).toFixed(2)} (target ≤ 2)`);
  console.log(`ratio busy sibling / alone: ${(quietBusy.median / quietAlone.median).toFixed(2)} (target ≤ 2)`);
})().catch((err) => { console.error(err); process.exit(1); });
