#!/usr/bin/env node
// Where a hashed PUT's CPU goes, thread by thread: one server
// (bench/support/checksums-server.js), COUNT 1 MiB PUTs from CONCURRENCY
// clients after a warm-up, and the server's CPU per MiB from /proc (Linux)
// split into the main thread, the threads that existed when it was ready
// (V8's GC helpers, libuv's pool) and those started since (the hashing threads).
//   node bench/checksums-threads.js memory|fs on|off|ALGORITHMS [COUNT=300] [CONCURRENCY=1] [node flags for the server]
// REPO=DIR runs another build's server (a directory with the same layout).
// Prints e.g. `memory on c=1: 39.6 MiB/s, CPU 8.57 ms/MiB [main=3.20 v8/libuv=2.40 hashers=2.97]`.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const [store, hashing, countArg, concArg, ...flags] = process.argv.slice(2);
const COUNT = Number(countArg) || 300;
const CONC = Number(concArg) || 1;
const repo = process.env.REPO || path.join(__dirname, '..');

/** CPU ms (user + system) of each thread of `pid`, by thread id. */
function threads(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10); // clock ticks of 10 ms (USER_HZ = 100)
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-sums-threads-'));
  const args = [...flags, path.join(repo, 'bench/support/checksums-server.js'), store, hashing, path.join(tmp, 'root')];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: repo });
  const origin = await new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    }),
  );
  const early = new Set(threads(child.pid).keys());
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
  const body = Buffer.alloc(2 ** 20, 'davsync checksums ');
  const put = (i) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${origin}/f${i % 32}.bin`, { method: 'PUT', agent, headers: { 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`PUT: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const run = async (n) => {
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: CONC }, async () => { while (next < n) await put(next++); }));
    return performance.now() - start;
  };
  try {
    await run(48); // warm-up: JIT, the hashing threads, the first files
    const before = threads(child.pid);
    const ms = await run(COUNT);
    const after = threads(child.pid);
    const by = { main: 0, 'v8/libuv': 0, hashers: 0 };
    for (const [tid, cpu] of after) {
      const group = tid === String(child.pid) ? 'main' : early.has(tid) ? 'v8/libuv' : 'hashers';
      by[group] += cpu - (before.get(tid) ?? 0);
    }
    const total = by.main + by['v8/libuv'] + by.hashers;
    const parts = Object.entries(by).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${(v / COUNT).toFixed(2)}`).join(' ');
    console.log(`${store} ${hashing} c=${CONC}: ${(COUNT / (ms / 1000)).toFixed(1)} MiB/s, CPU ${(total / COUNT).toFixed(2)} ms/MiB [${parts}]`);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
