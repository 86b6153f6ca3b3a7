#!/usr/bin/env node
// PostgreSQL store benchmark (@davsync/adapter-postgres). Measures, in one run,
// on a throwaway PostgreSQL cluster (fsync on, as a real server) or on
// DAVSYNC_TEST_PG_URL:
//  1. a delta sync of k = 10 changes (5 modified, 3 added, 2 removed, made
//     through the engine) at level 1 and level infinite in a collection of
//     1 000 and of 100 000 members (bulk-loaded through the journal);
//  2. write throughput (small PUT-sized writes through the engine, 16
//     concurrent writers) with one instance, then with two instances (two
//     pools, as two app servers) on the same database; the ratio is two / one.
// Run: npx tsc -b && node bench/postgres-sync.js
'use strict';
const os = require('node:os');
const { Pool } = require('pg');
const { deltaTable, timeTenChangeDelta } = require('./support/delta');
const { openPostgresStore } = require('@davsync/adapter-postgres');
const { startTestPostgres } = require('@davsync/adapter-postgres/testing');

const body = (s) => (async function* () { yield Buffer.from(s); })();

/** A store whose /book holds n members: rows inserted in bulk, journal entries committed in batches. */
async function bookStore(url, schema, n) {
  const store = await openPostgresStore({ connectionString: url, schema, poolOptions: { max: 20 } });
  await store.engine.mkcol('/book');
  const s = `"${schema}"`;
  await store.pool.query(
    `INSERT INTO ${s}.members (path, parent, collection, etag, size, content_type)
     SELECT '/book/m' || i || '.vcf', '/book', false, 'e' || i, 0, 'text/vcard' FROM generate_series(0, $1 - 1) AS i`,
    [n],
  );
  for (let at = 0; at < n; at += 10_000) {
    const changes = [];
    for (let i = at; i < Math.min(n, at + 10_000); i++) changes.push({ path: `/book/m${i}.vcf`, removed: false, collection: false, etag: `e${i}` });
    await store.adapter.journal.commit(changes);
  }
  for (const t of ['members', 'entries', 'scopes']) await store.pool.query(`VACUUM ANALYZE ${s}.${t}`);
  return store;
}

async function tenChanges(engine, n) {
  for (let i = 0; i < 5; i++) await engine.write(`/book/m${Math.floor((i * n) / 5)}.vcf`, body(`changed ${i}`));
  for (let i = 0; i < 3; i++) await engine.write(`/book/new${i}.vcf`, body('new'));
  for (let i = 0; i < 2; i++) await engine.remove(`/book/m${n - 1 - i}.vcf`);
}

async function deltaBench(url, n) {
  const store = await bookStore(url, `bench_delta_${n}`, n);
  const { engine } = store;
  const token = await engine.currentToken('/book');
  await tenChanges(engine, n);
  const out = await timeTenChangeDelta(engine, token, n, { runs: 500, warmup: 100 });
  await store.close();
  return out;
}

/** Writes per second with `instances` stores on one schema, `writers` concurrent writers spread over them. */
async function writeThroughput(url, schema, instances, writers, seconds) {
  const stores = [];
  for (let i = 0; i < instances; i++) stores.push(await openPostgresStore({ connectionString: url, schema, poolOptions: { max: writers } }));
  await stores[0].engine.mkcol('/w').catch(() => undefined);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const engine = stores[w % instances].engine;
      for (let i = 0; Date.now() < until; i++) {
        await engine.write(`/w/${w}-${i % 50}.txt`, body(`writer ${w} write ${i}`));
        done++;
      }
    }),
  );
  for (const s of stores) await s.close();
  return done / seconds;
}

(async () => {
  const pg = await startTestPostgres({ durable: true, settings: { shared_buffers: "'256MB'" } });
  const url = await pg.createDatabase('davsync_bench');
  try {
    await deltaBench(url, 100); // warm the JIT on the whole path first
    const rows = [await deltaBench(url, 1_000), await deltaBench(url, 100_000)];
    const seconds = Number(process.env['DAVSYNC_BENCH_SECONDS']) || 10;
    await writeThroughput(url, 'bench_warm', 1, 4, 1);
    const one = await writeThroughput(url, 'bench_w1', 1, 16, seconds);
    const two = await writeThroughput(url, 'bench_w2', 2, 16, seconds);

    const versionPool = new Pool({ connectionString: url, max: 1 });
    const { rows: [v] } = await versionPool.query('SHOW server_version');
    await versionPool.end();
    console.log(`# PostgreSQL store benchmark — ${new Date().toISOString()}`);
    console.log(`node ${process.version}, PostgreSQL ${v.server_version} (${pg.throwaway ? 'throwaway cluster on a Unix socket, fsync on' : 'DAVSYNC_TEST_PG_URL'}), ${os.cpus().length} × ${os.cpus()[0].model}`);
    console.log(`\n${deltaTable(rows)}`);
    console.log(`\n| write throughput (16 concurrent writers, ${seconds} s) | writes/s |`);
    console.log('|---|---:|');
    console.log(`| one instance | ${Math.round(one)} |`);
    console.log(`| two instances, one database | ${Math.round(two)} |`);
    console.log(`| ratio two / one | ${(two / one).toFixed(2)} |`);
  } finally {
    await pg.close();
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
