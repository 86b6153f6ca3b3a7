#!/usr/bin/env node
// The up-to-date sync REPORT (k = 0, phase 3 of bench/http-sync.js) alone,
// for profiling and for comparing builds: for each build root given, a
// davsync server over the memory adapter in its own process on 127.0.0.1,
// set up as bench/http-sync.js leaves it before that phase (collections of
// 1 000, 10 000 and 100 000 members, ten changes in /c1k/), whose /c1k/ is
// then asked by 4 keep-alive clients for a fixed time. Prints requests per second and the server's CPU time per
// request (process.cpuUsage of the server process, user + system), which
// stays meaningful on a loaded machine where wall-clock throughput does not.
//   node bench/report-idle.js [--seconds 10] [--rounds 3] [--cpu-prof DIR] ROOT[=MiB]...
// ROOT is a built checkout (default: this one); rounds alternate the roots.
// `=MiB` holds about that much extra heap in small live objects in its
// server: what a larger heap alone costs a request.
// With --cpu-prof, each server profiles the timed requests only (not its
// set-up) with node:inspector and writes BUILD-ROUND.cpuprofile into DIR.
'use strict';
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { PerformanceObserver, constants } = require('node:perf_hooks');

if (process.argv[2] === '--serve') serve(process.argv[3], Number(process.argv[4]));
else main();

/** The server side: davsync from the build at `root`, plus GET /__cpu. */
async function serve(root, ballastMib) {
  const load = (name) => require(require.resolve(name, { paths: [root] }));
  const { davsync } = load('@davsync/express');
  const { MemoryAdapter } = load('@davsync/adapter-memory');
  const mw = davsync({ adapter: new MemoryAdapter() });
  const bytes = (text) => (async function* () { yield Buffer.from(text); })();
  const colls = process.env.REPORT_IDLE_SMALL ? [['c1k', 1000]] : [['c1k', 1000], ['c10k', 10000], ['c100k', 100000]];
  for (const [name, n] of colls) {
    await mw.engine.mkcol(`/${name}`);
    for (let i = 0; i < n; i++) {
      await mw.engine.write(`/${name}/m${i}.vcf`, bytes(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${i}\r\nFN:Member ${i} v1\r\nEND:VCARD\r\n`), { contentType: 'text/vcard' });
    }
  }
  // bench/http-sync.js's k = 10 changes, before its up-to-date phase.
  for (const i of [0, 200, 400, 600, 800]) await mw.engine.write(`/c1k/m${i}.vcf`, bytes(`changed ${i}`), { contentType: 'text/vcard' });
  for (const i of [0, 1, 2]) await mw.engine.write(`/c1k/new${i}.vcf`, bytes(`new ${i}`), { contentType: 'text/vcard' });
  for (const i of [999, 998]) await mw.engine.remove(`/c1k/m${i}.vcf`);
  // Ballast: about that many MiB of small live objects held beside the store, to see what a
  // larger heap alone costs a request (the wave-2 store holds more per member).
  const ballast = [];
  for (let i = 0; i < ballastMib * 1700; i++) {
    ballast.push({ sha1: `${i}`.padStart(40, 'a'), md5: `${i}`.padStart(32, 'b'), sha256: `${i}`.padStart(64, 'c') });
  }
  globalThis.reportIdleBallast = ballast;
  const profiler = profilerOf();
  const gc = { count: 0, ms: 0, major: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    }
  }).observe({ entryTypes: ['gc'] });
  const server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/__cpu')) return mw(req, res);
    const profile = new URL(req.url, 'http://x').searchParams;
    if (profile.has('start')) await profiler.start();
    const { user, system } = process.cpuUsage(); // before writing a profile
    if (profile.has('stop')) await profiler.stop(profile.get('stop'));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ cpuMicros: user + system, gc }));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
}

/** A CPU profiler of this process: start(), then stop(file) writes the profile. */
function profilerOf() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  return {
    start: async () => { await post('Profiler.enable'); await post('Profiler.start'); },
    stop: async (file) => require('node:fs').writeFileSync(file, JSON.stringify((await post('Profiler.stop')).profile)),
  };
}

/** `spec`: a build root, optionally `=MiB` of ballast (see `serve`). */
function start(spec) {
  const [root, ballastMib = '0'] = spec.split('=');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--serve', root, ballastMib], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function request(agent, origin, method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A started server of one build, ready to be asked the up-to-date REPORT. */
async function prepare(root) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const server = await start(root);
  const xml = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>';
  const pf = await request(agent, server.origin, 'PROPFIND', '/c1k/', { 'content-type': 'application/xml', depth: '0' }, xml);
  const token = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(pf.body)[1];
  const body =
    `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token>` +
    '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';
  const report = () => request(agent, server.origin, 'REPORT', '/c1k/', { 'content-type': 'application/xml', depth: '0' }, body);
  const first = await report();
  if (first.status !== 207 || first.body.includes('<D:response>')) throw new Error(`not an up-to-date answer: ${first.status} ${first.body}`);
  const cpu = async (query) => JSON.parse((await request(agent, server.origin, 'GET', `/__cpu${query}`, {})).body);
  const close = async () => {
    agent.destroy();
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  };
  return { root, report, cpu, close };
}

/** 4 clients asking for `ms` milliseconds; the count of answers. */
async function drive(server, ms) {
  const end = Date.now() + ms;
  let count = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < end) {
      const r = await server.report();
      if (r.status !== 207) throw new Error(`REPORT answered ${r.status}`);
      count++;
    }
  }));
  return count;
}

async function measure(server, { seconds, profDir, round }) {
  await drive(server, 1000); // warm-up
  const profile = profDir ? path.join(profDir, `${path.basename(server.root).replace('=', '-')}-${round}.cpuprofile`) : undefined;
  const before = await server.cpu(profile ? '?start' : '');
  const t0 = process.hrtime.bigint();
  const count = await drive(server, seconds * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = await server.cpu(profile ? `?stop=${encodeURIComponent(profile)}` : '');
  return {
    rps: count / wall,
    cpuPerReq: (after.cpuMicros - before.cpuMicros) / count,
    gcPerReq: ((after.gc.ms - before.gc.ms) * 1000) / count,
    majorGcs: after.gc.major - before.gc.major,
    count,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, 'cpu-prof': { type: 'string' } },
  });
  const roots = positionals.length ? positionals.map((p) => path.resolve(p)) : [path.resolve(__dirname, '..')];
  // A root may carry `=MiB`: that much ballast in its server (see `serve`).
  const opts = { seconds: Number(values.seconds), profDir: values['cpu-prof'] && path.resolve(values['cpu-prof']) };
  const servers = [];
  try {
    for (const root of roots) servers.push(await prepare(root));
    console.log(`# up-to-date sync REPORT, 4 clients, ${opts.seconds} s per run, rounds alternating builds — ${new Date().toISOString()}`);
    console.log('| build | round | req/s | server CPU µs/req | of which GC µs/req | major GCs | requests |\n|---|---:|---:|---:|---:|---:|---:|');
    const results = new Map(roots.map((root) => [root, []]));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const server of servers) {
        const r = await measure(server, { ...opts, round });
        results.get(server.root).push(r);
        console.log(`| ${server.root} | ${round} | ${r.rps.toFixed(0)} | ${r.cpuPerReq.toFixed(1)} | ${r.gcPerReq.toFixed(1)} | ${r.majorGcs} | ${r.count} |`);
      }
    }
    console.log('\n| build | median req/s | median server CPU µs/req | min server CPU µs/req |\n|---|---:|---:|---:|');
    for (const [root, rs] of results) {
      const cpus = rs.map((r) => r.cpuPerReq);
      console.log(`| ${root} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(cpus).toFixed(1)} | ${Math.min(...cpus).toFixed(1)} |`);
    }
  } finally {
    for (const server of servers) await server.close();
  }
}
