#!/usr/bin/env node
// Lock benchmark (issue #16: "the lock check on an unlocked path costs an
// index lookup, not a scan"). Every write asks the lock store which locks
// cover its path; this measures PUT throughput over HTTP on the memory, fs
// and PostgreSQL stores with no lock held and with 10 000 locks held on
// other paths (half of them siblings of the PUT targets, half in another
// tree), side by side in one run. The two stores of a kind are measured in
// alternating rounds, so drift on a busy machine hits both; the table gives
// the median of the rounds and the ratio locked / none (≈ 1: the check does
// not grow with the locks held).
//
// The 10 000 locks are made by core's `grantLock` (the rows a LOCK would
// store) and inserted in bulk on fs and PostgreSQL (LOCK one by one would
// take minutes there and measures something else); the run checks they are
// live: a PUT to a locked sibling must be 423.
//
// Run: npm run bench:locks            (full: 3 rounds × 2 000 PUTs per store)
//      node bench/locks.js --quick    (small, to check it works)
//      node bench/locks.js --json     (the figures as JSON)
// Servers run in this process on 127.0.0.1 (ephemeral ports); the fs stores
// live in a temporary directory and PostgreSQL in a throwaway cluster (or
// DAVSYNC_TEST_PG_URL), all removed afterwards.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { throughput } = require('./support/measure');
const { MemoryAdapter } = require('@davsync/adapter-memory');
const { openFsStore } = require('@davsync/adapter-fs');
const { openPostgresStore } = require('@davsync/adapter-postgres');
const { startTestPostgres } = require('@davsync/adapter-postgres/testing');
const { MemoryLockStore, STORED_LOCK_COLUMNS, SyncEngine, grantLock, lockSettings, storedLockValues } = require('@davsync/core');
const { davsync } = require('@davsync/express');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const LOCKS = 10_000;
const PUTS = quick ? 200 : 2_000;
const ROUNDS = quick ? 2 : 3;
const CONCURRENCY = 8;
const LIMITS = { maxLocks: 2 * LOCKS, maxTimeoutSeconds: 24 * 3600 };

/** The lock requests held "elsewhere": siblings of the PUT targets in /w, and members of another tree. */
function heldRequests() {
  return Array.from({ length: LOCKS }, (_, i) => ({
    path: i % 2 === 0 ? `/w/held-${i}.txt` : `/other/d${i % 100}/f${i}.txt`,
    scope: 'exclusive',
    depth: i % 10 === 1 ? 'infinity' : 0,
    timeout: LIMITS.maxTimeoutSeconds,
  }));
}
const heldRows = () => heldRequests().map((r) => storedLockValues(grantLock(r, lockSettings(LIMITS))));

async function serve(engine) {
  const middleware = davsync({ engine });
  const server = http.createServer((req, res) => middleware(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function request(origin, method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method, agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Small PUTs to 50 unlocked names in /w, beside the held locks. */
async function putRate(origin, round) {
  return throughput(async (i) => {
    const status = await request(origin, 'PUT', `/w/put-${i % 50}.txt`, `round ${round} put ${i}`);
    if (status !== 201 && status !== 204) throw new Error(`PUT answered ${status}`);
  }, PUTS, CONCURRENCY);
}

const kinds = {
  async memory() {
    const make = async (locked) => {
      const locks = new MemoryLockStore(LIMITS);
      const engine = new SyncEngine({ adapter: new MemoryAdapter(), locks });
      if (locked) for (const r of heldRequests()) await locks.lock(r);
      return { engine, close: () => engine.close() };
    };
    return [await make(false), await make(true)];
  },
  async fs(tmp) {
    const make = async (name, locked) => {
      const root = path.join(tmp, name);
      const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0, locks: LIMITS });
      if (locked) {
        const db = new Database(path.join(root, '.davsync', 'state.db'));
        db.pragma('busy_timeout = 10000');
        const insert = db.prepare(`INSERT INTO locks (${STORED_LOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
        db.transaction((rows) => { for (const r of rows) insert.run(...r); })(heldRows());
        db.close();
      }
      return { engine: store.engine, close: () => store.close() };
    };
    return [await make('none', false), await make('locked', true)];
  },
  async postgres(_tmp, url) {
    const make = async (schema, locked) => {
      const store = await openPostgresStore({ connectionString: url, schema, poolOptions: { max: CONCURRENCY + 2 }, locks: LIMITS });
      if (locked) {
        const rows = heldRows();
        const columns = STORED_LOCK_COLUMNS.split(', ');
        const types = ['text', 'text', 'text', 'text', 'text', 'text', 'integer', 'bigint'];
        await store.pool.query(
          `INSERT INTO "${schema}".locks (${STORED_LOCK_COLUMNS}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
          columns.map((_, c) => rows.map((r) => r[c])),
        );
        await store.pool.query(`VACUUM ANALYZE "${schema}".locks`);
      }
      return { engine: store.engine, close: () => store.close() };
    };
    return [await make('bench_locks_none', false), await make('bench_locks_held', true)];
  },
};

async function benchKind(kind, tmp, url) {
  const pair = await kinds[kind](tmp, url);
  const served = [];
  try {
    for (const { engine } of pair) {
      served.push(await serve(engine));
      await engine.mkcol('/w');
    }
    const [none, locked] = served;
    // The locks are live: a PUT to a locked sibling is refused.
    const refused = await request(locked.origin, 'PUT', '/w/held-0.txt', 'x');
    if (refused !== 423) throw new Error(`${kind}: a PUT to a locked member answered ${refused}, not 423: the held locks are not live`);
    if ((await pair[1].engine.locks.count()) !== LOCKS) throw new Error(`${kind}: the store does not hold ${LOCKS} locks`);
    await putRate(none.origin, -1); // warm-up, both
    await putRate(locked.origin, -1);
    const rates = { none: [], locked: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always meets the machine's next hiccup.
      const order = round % 2 === 0 ? ['none', 'locked'] : ['locked', 'none'];
      for (const which of order) rates[which].push(await putRate(which === 'none' ? none.origin : locked.origin, round));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { store: kind, none: median(rates.none), locked: median(rates.locked), rounds: rates };
  } finally {
    for (const { server } of served) await new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
    for (const s of pair) await s.close();
  }
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-locks-'));
  const pg = process.env['DAVSYNC_TEST_PG_URL'] ? undefined : await startTestPostgres({ durable: true });
  const url = pg === undefined ? process.env['DAVSYNC_TEST_PG_URL'] : await pg.createDatabase('davsync_bench_locks');
  const results = [];
  try {
    for (const kind of ['memory', 'fs', 'postgres']) results.push(await benchKind(kind, tmp, url));
  } finally {
    agent.destroy();
    // The throwaway cluster goes whole; on DAVSYNC_TEST_PG_URL the bench's schemas go.
    if (pg !== undefined) await pg.close();
    else if (url !== undefined) {
      const { Pool } = require('pg');
      const pool = new Pool({ connectionString: url, max: 1 });
      for (const schema of ['bench_locks_none', 'bench_locks_held']) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const machine = `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  if (json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), machine, locks: LOCKS, puts: PUTS, rounds: ROUNDS, concurrency: CONCURRENCY, results }, null, 2));
    return;
  }
  console.log(`# Lock benchmark — ${new Date().toISOString()}`);
  console.log(machine);
  console.log(`\nPUT throughput over HTTP (${PUTS} small PUTs × ${ROUNDS} rounds, ${CONCURRENCY} concurrent; median round), with no lock held and with ${LOCKS.toLocaleString('en')} locks held on other paths:\n`);
  console.log('| store | no locks (PUT/s) | 10 000 locks elsewhere (PUT/s) | ratio locked / none |');
  console.log('|---|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.store} | ${Math.round(r.none)} | ${Math.round(r.locked)} | ${(r.locked / r.none).toFixed(2)} |`);
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
