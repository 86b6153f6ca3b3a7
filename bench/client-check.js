#!/usr/bin/env node
// The no-change pass's local work at N (issue #18): a temporary tree of N
// small files in nested folders (bench/client.js's layout) and a state
// database recording it as synced (the remote tree equal), then --runs
// times, in one process, warm cache:
//   scan    the client's scanLocal
//   check   nothingToPlan (sync/nothing-to-plan.ts): the shortcut a pass takes
//           when both sides are as synced
//   plan    synced() + remoteTree() + plan(): the work the shortcut replaces
// Median ms of each. Every run must find nothing to do (else it throws).
// Run: npx tsc -b && node bench/client-check.js --n 50000 --runs 5
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'packages', 'client', 'dist');
const { scanLocal } = require(path.join(DIST, 'local', 'local-scan'));
const { SyncState } = require(path.join(DIST, 'state', 'sync-state'));
const { plan } = require(path.join(DIST, 'sync', 'planner'));
const { nothingToPlan } = require(path.join(DIST, 'sync', 'nothing-to-plan'));

function parseArgs(argv) {
  const opts = { n: 10000, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--n') opts.n = Number(argv[++i]);
    else if (argv[i] === '--runs') opts.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (--n N, --runs R)`);
  }
  if (!(opts.n >= 1 && opts.runs >= 1)) throw new Error('--n and --runs need positive numbers');
  return opts;
}

const fileOf = (i) => `d${i % 50}/e${Math.floor(i / 50) % 20}/f${i}.txt`;
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function main() {
  const { n, runs } = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-check-'));
  try {
    const local = path.join(tmp, 'local');
    for (let i = 0; i < n; i++) {
      const p = path.join(local, fileOf(i));
      if (i < 1000) fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, `file ${i}: ${'x'.repeat(64)}\n`);
    }
    const db = path.join(tmp, 'state.db');
    const url = 'http://127.0.0.1/files/';
    const first = await scanLocal(local);
    const state = SyncState.open(db, url);
    state.transaction(() => {
      for (const e of first.entries.values()) {
        const ids = { fileId: `id${e.ino}`, ...(e.kind === 'file' ? { etag: `"${e.ino}"` } : {}) };
        state.setSynced({ ...e, ...ids });
        state.setRemote(e.path, { path: e.path, kind: e.kind, ...ids });
      }
    });
    state.close();
    const times = { scan: [], check: [], plan: [] };
    for (let r = 0; r < runs; r++) {
      let t = process.hrtime.bigint();
      const scan = await scanLocal(local);
      times.scan.push(ms(t));
      const s = SyncState.open(db, url);
      try {
        t = process.hrtime.bigint();
        if (!nothingToPlan(s, scan.entries)) throw new Error('the check found something to plan');
        times.check.push(ms(t));
        t = process.hrtime.bigint();
        if (plan({ synced: s.synced(), local: scan.entries, remote: s.remoteTree(), now: new Date() }).length !== 0) throw new Error('the plan is not empty');
        times.plan.push(ms(t));
      } finally {
        s.close();
      }
    }
    console.log(`N = ${n} (${first.entries.size} entries), median of ${runs} (ms): scan ${median(times.scan).toFixed(1)} | check ${median(times.check).toFixed(1)} | synced + remote tree + plan ${median(times.plan).toFixed(1)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
