#!/usr/bin/env node
// Where a hashed PUT's time goes: one server (bench/support/checksums-server.js)
// with a preloaded tracer (support/put-phase-trace.js), COUNT sequential (or
// CONCURRENCY parallel) 1 MiB PUTs; prints MiB/s, the server's CPU per MiB,
// and the medians of "body received" and "after the last byte" per PUT.
//   node bench/checksums-phases.js memory|fs on|off [COUNT=200] [CONCURRENCY=1] [node flags for the server, e.g. --cpu-prof --cpu-prof-dir=DIR]
// REPO=DIR runs another build's server (a directory with the same layout).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs'), os = require('node:os'), path = require('node:path'), http = require('node:http');
const [store, hashing, countArg, concArg, ...flags] = process.argv.slice(2);
const COUNT = Number(countArg) || 200, CONC = Number(concArg) || 1;
const repo = process.env.REPO || path.join(__dirname, '..');
function cpu(pid) { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' '); return (Number(f[11]) + Number(f[12])) / 100; }
(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'support/put-phase-trace.js'), ...flags, path.join(repo, 'bench/support/checksums-server.js'), store, hashing, path.join(tmp, 'root')], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repo });
  const origin = await new Promise((res) => child.stdout.on('data', (d) => { const m = /ready (\d+)/.exec(String(d)); if (m) res(`http://127.0.0.1:${m[1]}`); }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
  const body = Buffer.alloc(2 ** 20, 'davsync checksums ');
  const put = (i) => new Promise((res, rej) => { const r = http.request(`${origin}/f${i % 32}.bin`, { method: 'PUT', agent, headers: { 'content-length': String(body.length) } }, (x) => { x.resume(); x.on('end', res); }); r.on('error', rej); r.end(body); });
  const run = async (n) => { let next = 0; const s = performance.now(); await Promise.all(Array.from({ length: CONC }, async () => { while (next < n) await put(next++); })); return performance.now() - s; };
  await run(32); child.kill('SIGUSR2'); await new Promise((r) => setTimeout(r, 100));
  const c0 = cpu(child.pid);
  const ms = await run(COUNT);
  const c1 = cpu(child.pid);
  child.kill('SIGUSR2'); await new Promise((r) => setTimeout(r, 100));
  console.log(`${store} ${hashing} c=${CONC}: ${(COUNT / (ms / 1000)).toFixed(1)} MiB/s, server CPU ${((c1 - c0) * 1000 / COUNT).toFixed(2)} ms/MiB`);
  agent.destroy(); child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); fs.rmSync(tmp, { recursive: true, force: true });
})();
