#!/usr/bin/env node
// gzip benchmark (issue 20), in one run: the initial sync REPORT of a
// collection of 50 000 members (memory store, the server in its own
// process), unencoded versus gzip at levels 1, 4 (the default), 6 and 9:
// bytes on the wire (socket bytes: headers, chunk framing and body), the
// client's time to the last byte, and the server's CPU time for the answer
// (process.cpuUsage of the server process, zlib's thread pool included).
// Goal: ≥ 8× fewer bytes at ≤ 1.5× the server CPU of the unencoded answer.
// Each case is run RUNS times after a warm-up; medians are shown.
// Run: npm run bench:compression   (DAVSYNC_BENCH_MEMBERS, DAVSYNC_BENCH_RUNS to change)
'use strict';
const { spawn } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { gunzipSync } = require('node:zlib');

const MEMBERS = Number(process.env.DAVSYNC_BENCH_MEMBERS ?? 50_000);
const RUNS = Number(process.env.DAVSYNC_BENCH_RUNS ?? 5);

function start() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'support/compression-server.js'), String(MEMBERS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** One request on its own connection: status, headers, body, socket bytes read, ms to the last byte. */
function request(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), wire: res.socket.bytesRead, ms, chunks: chunks.length });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function cpuUs(origin) {
  const r = await request(`${origin}/__cpu`, 'GET', {});
  const { userUs, systemUs } = JSON.parse(String(r.body));
  return userUs + systemUs;
}

const SYNC =
  '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>' +
  '<D:prop><D:getetag/><D:getcontentlength/><D:getlastmodified/></D:prop></D:sync-collection>';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One REPORT: wire bytes, ms, server CPU ms, and the decoded text with the token and mount taken out (to compare cases). */
async function once(origin, mount, acceptEncoding) {
  const headers = { 'content-type': 'application/xml; charset=utf-8', depth: '0', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) };
  const url = `${origin}${mount}/c/`;
  const before = await cpuUs(origin);
  const r = await request(url, 'REPORT', headers, SYNC);
  const after = await cpuUs(origin);
  if (r.status !== 207) throw new Error(`REPORT ${url} → ${r.status}`);
  const text = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
  return {
    wire: r.wire,
    ms: r.ms,
    cpuMs: (after - before) / 1000,
    chunks: r.chunks,
    encoding: r.headers['content-encoding'] ?? 'identity',
    text: String(text).replace(/<D:sync-token>[^<]*<\/D:sync-token>/, '').replaceAll(`<D:href>${mount}/`, '<D:href>/'),
  };
}

const CASES = [
  ['off (compression: false)', '/off'],
  ['gzip level 1', '/l1'],
  ['gzip level 4 (default)', '/l4'],
  ['gzip level 6', '/l6'],
  ['gzip level 9', '/l9'],
];

/** The cases in turn, RUNS rounds after a warm-up round, so load and warm-up fall on all alike; medians. */
async function measureAll(origin) {
  const samples = CASES.map(() => []);
  for (let round = 0; round <= RUNS; round++) {
    for (const [i, [, mount]] of CASES.entries()) {
      const r = await once(origin, mount, 'gzip, deflate, br');
      if (round > 0) samples[i].push(r);
    }
  }
  return samples.map((runs) => ({
    wire: median(runs.map((r) => r.wire)),
    ms: median(runs.map((r) => r.ms)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    chunks: runs[0].chunks,
    encoding: runs[0].encoding,
    text: runs[0].text,
  }));
}

(async () => {
  console.log(`gzip benchmark: initial sync REPORT (getetag, getcontentlength, getlastmodified) of ${MEMBERS} members, memory store`);
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const { child, origin } = await start();
  try {
    const results = await measureAll(origin);
    const rows = CASES.map(([label], i) => [label, results[i]]);
    const off = results[0];
    console.log('\n| case | bytes on the wire | fewer bytes | client time to last byte (ms) | server CPU (ms) | CPU vs off |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [label, r] of rows) {
      if (r.text !== off.text) throw new Error(`${label}: the decoded answer differs from the unencoded one`);
      console.log(`| ${label} | ${r.wire.toLocaleString('en')} | ${(off.wire / r.wire).toFixed(1)}× | ${r.ms.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${(r.cpuMs / off.cpuMs).toFixed(2)}× |`);
    }
    const def = rows.find(([l]) => l.includes('default'))[1];
    console.log(`\ndefault level: ${(off.wire / def.wire).toFixed(1)}× fewer bytes (goal ≥ 8×) at ${(def.cpuMs / off.cpuMs).toFixed(2)}× the server CPU (goal ≤ 1.5×); ${def.chunks} chunks received`);
    console.log(`runs: ${RUNS} per case after one warm-up, medians`);
  } finally {
    child.kill();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
