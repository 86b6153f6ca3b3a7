#!/usr/bin/env node
// Checksum cost benchmark (issue 17): PUT throughput over HTTP with hashing
// on (SHA-1 + MD5 + SHA-256 of every body, the default) versus the same
// build with `checksums: false`, on the memory and fs stores, for 1 MiB and
// 64 KiB files, side by side in one run. Each configuration is its own
// server process; rounds alternate on/off so a machine whose load drifts
// hurts both alike; the table shows the median round. Goal: ≤ 10 % cost on
// 1 MiB files.
// Run: npm run bench:checksums [-- --json]   (DAVSYNC_SUMS_ROUNDS, default 3; temp dirs removed)
// DAVSYNC_SUMS_ALGORITHMS=sha1,md5 measures `checksums: { algorithms }` as the
// "on" side instead of the default; DAVSYNC_SUMS_STORES=memory and
// DAVSYNC_SUMS_SIZES=1 (MiB rows only) shorten a run.
'use strict';
const { throughput } = require('./support/measure');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROUNDS = Number(process.env.DAVSYNC_SUMS_ROUNDS) || 3;
const CONCURRENCY = Number(process.env.DAVSYNC_SUMS_CONCURRENCY) || 4;
const SIZES = [
  { label: '1 MiB', bytes: 2 ** 20, count: 128 },
  { label: '64 KiB', bytes: 2 ** 16, count: 800 },
];
const ON = process.env.DAVSYNC_SUMS_ALGORITHMS || 'on';
const STORES = (process.env.DAVSYNC_SUMS_STORES || 'memory,fs').split(',');
if (process.env.DAVSYNC_SUMS_SIZES === '1') SIZES.splice(1);

function start(store, hashing, root) {
  return new Promise((resolve, reject) => {
    const args = [path.join(__dirname, 'support/checksums-server.js'), store, hashing, root];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`${store}/${hashing} server exited with ${code}`)));
  });
}
const stop = (s) => new Promise((r) => { s.child.removeAllListeners('exit'); s.child.once('exit', r); s.child.kill('SIGTERM'); });

function put(agent, origin, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method: 'PUT', agent, headers: { 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 || res.statusCode === 204 ? resolve() : reject(new Error(`PUT ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
}

/** MiB/s and server CPU ms per MiB of `count` PUTs of `bytes` (to 32 paths, overwriting) with one server of each kind. */
async function measure(store, hashing, size) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-sums-'));
  const root = path.join(tmp, 'root');
  const s = await start(store, hashing, root);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const body = Buffer.alloc(size.bytes, 'davsync checksums ');
    // Warm-up: JIT, the first files, the state database.
    await throughput((i) => put(agent, s.origin, `/w${i % 32}.bin`, body), 16, CONCURRENCY);
    const cpu0 = cpuSeconds(s.child.pid);
    const perSecond = await throughput((i) => put(agent, s.origin, `/f${i % 32}.bin`, body), size.count, CONCURRENCY);
    const mib = (size.count * size.bytes) / 2 ** 20;
    return { mibPerSecond: (perSecond * size.bytes) / 2 ** 20, cpuMsPerMib: ((cpuSeconds(s.child.pid) - cpu0) * 1000) / mib };
  } finally {
    agent.destroy();
    await stop(s);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const rows = [];
  for (const store of STORES) {
    for (const size of SIZES) {
      const on = [];
      const off = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternating order, so neither side always runs on a warmer (or busier) machine.
        if (r % 2 === 0) { on.push(await measure(store, ON, size)); off.push(await measure(store, 'off', size)); }
        else { off.push(await measure(store, 'off', size)); on.push(await measure(store, ON, size)); }
      }
      const mOn = median(on.map((r) => r.mibPerSecond));
      const mOff = median(off.map((r) => r.mibPerSecond));
      const cOn = median(on.map((r) => r.cpuMsPerMib));
      const cOff = median(off.map((r) => r.cpuMsPerMib));
      rows.push({ store, size: size.label, files: size.count, hashingOn: mOn, hashingOff: mOff, cost: 1 - mOn / mOff, cpuMsPerMibOn: cOn, cpuMsPerMibOff: cOff, roundsOn: on, roundsOff: off });
    }
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0].model, concurrency: CONCURRENCY, rounds: ROUNDS, rows }, null, 2));
    return;
  }
  console.log(`# checksums on vs off, PUT over HTTP — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}`);
  console.log(`# on = ${ON === 'on' ? 'sha1,md5,sha256 (the default)' : ON}; ${CONCURRENCY} concurrent clients, median of ${ROUNDS} alternating rounds; cost = 1 − on/off; server CPU (all threads) per MiB stored`);
  console.log('| store  | file   | files | on (MiB/s) | off (MiB/s) | throughput cost | CPU on (ms/MiB) | CPU off (ms/MiB) |');
  console.log('|--------|--------|------:|-----------:|------------:|----------------:|----------------:|-----------------:|');
  for (const r of rows) {
    const f = (x, w) => x.toFixed(1).padStart(w);
    console.log(`| ${r.store.padEnd(6)} | ${r.size.padEnd(6)} | ${String(r.files).padStart(5)} | ${f(r.hashingOn, 10)} | ${f(r.hashingOff, 11)} | ${f(100 * r.cost, 13)} % | ${f(r.cpuMsPerMibOn, 15)} | ${f(r.cpuMsPerMibOff, 16)} |`);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
