#!/usr/bin/env node
// Filesystem-store benchmark (issue: filesystem adapter), in one run:
//  1. PUT throughput of small files through davsync on the fs store versus a
//     bare node handler with the same durability (fsync + rename) — target ≥ 70 %;
//  2. delta sync (k = 10) on a folder of 100 000 files versus 1 000 — target ≤ 1.5;
//  3. start-up time on 101 000 files: first start (indexing), after a clean
//     shutdown, after a crash (SIGKILL).
// Files are written straight to the folder before the first start.
// Run: npm run bench:fs   (uses a temporary directory, removed afterwards)
'use strict';
const { time, throughput } = require('./support/measure');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function start(kind, root) {
  const began = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'support/fs-server.js'), kind, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}`, startMs: Number(process.hrtime.bigint() - began) / 1e6 });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}
const stop = (s, signal) => new Promise((r) => { s.child.removeAllListeners('exit'); s.child.once('exit', r); s.child.kill(signal); });

function request(origin, method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const syncBody = (token) =>
  `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
const report = (origin, coll, token) => request(origin, 'REPORT', `/${coll}/`, { headers: { 'content-type': 'application/xml' }, body: syncBody(token) });
async function currentToken(origin, coll) {
  const r = await request(origin, 'PROPFIND', `/${coll}/`, {
    headers: { depth: '0', 'content-type': 'application/xml' },
    body: '<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>',
  });
  return /<D:sync-token>([^<]+)</.exec(String(r.body))[1];
}

async function tenChanges(origin, coll, n) {
  for (let i = 0; i < 5; i++) await request(origin, 'PUT', `/${coll}/m${Math.floor((i * n) / 5)}.vcf`, { body: `changed ${i}` });
  for (let i = 0; i < 3; i++) await request(origin, 'PUT', `/${coll}/new${i}.vcf`, { body: `new ${i}` });
  for (let i = 0; i < 2; i++) await request(origin, 'DELETE', `/${coll}/m${n - 1 - i}.vcf`);
}

function populate(dir, n) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `m${i}.vcf`), `BEGIN:VCARD\r\nFN:Member ${i}\r\nEND:VCARD\r\n`);
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-fs-'));
  const f = (x, d = 1) => x.toFixed(d);
  const lines = [`# filesystem store benchmark — ${new Date().toISOString()}`, `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, temp dir on ${tmp}`, ''];
  try {
    // 1. PUT throughput, 1 KiB files, 4 concurrent clients.
    const payload = Buffer.alloc(1024, 'x');
    const rates = {};
    for (const kind of ['bare', 'davsync', 'bare', 'davsync']) {
      const root = path.join(tmp, `put-${kind}`);
      fs.rmSync(root, { recursive: true, force: true });
      fs.mkdirSync(root, { recursive: true });
      const s = await start(kind, root);
      const rate = await throughput((i) => request(s.origin, 'PUT', `/f${i % 500}.txt`, { body: payload }), 2000, 4);
      (rates[kind] ??= []).push(rate);
      await stop(s, 'SIGTERM');
    }
    const best = (k) => Math.max(...rates[k]);
    lines.push('| PUT 1 KiB files, 4 clients, 2 000 requests (best of 2) | req/s |', '|---|---:|');
    lines.push(`| bare node handler (temp file, fsync, rename, dir fsync) | ${f(best('bare'), 0)} |`, `| davsync on the fs store | ${f(best('davsync'), 0)} |`, '');

    // 2 + 3. A folder of 1 000 and one of 100 000 files, written before start.
    const root = path.join(tmp, 'tree');
    populate(path.join(root, 'c1k'), 1000);
    populate(path.join(root, 'c100k'), 100000);
    let s = await start('davsync', root);
    const firstStart = s.startMs;
    const deltas = {};
    for (const [coll, n] of [['c1k', 1000], ['c100k', 100000]]) {
      const token = await currentToken(s.origin, coll);
      await tenChanges(s.origin, coll, n);
      const answer = String((await report(s.origin, coll, token)).body);
      const hrefs = (answer.match(/<D:response>/g) || []).length;
      const removed = (answer.match(/404 Not Found/g) || []).length;
      if (hrefs !== 10 || removed !== 2) throw new Error(`wrong delta for ${coll}: ${hrefs} responses, ${removed} removed`);
      deltas[coll] = await time(() => report(s.origin, coll, token), { runs: 200, warmup: 30, unit: 'ms' });
    }
    await stop(s, 'SIGTERM');
    s = await start('davsync', root);
    const afterClean = s.startMs;
    await stop(s, 'SIGKILL');
    s = await start('davsync', root);
    const afterCrash = s.startMs;
    await stop(s, 'SIGTERM');

    lines.push('| delta sync k = 10 (5 modified, 3 added, 2 removed) | median ms | min ms | max ms |', '|---|---:|---:|---:|');
    for (const [coll, r] of Object.entries(deltas)) lines.push(`| ${coll} | ${f(r.median, 3)} | ${f(r.min, 3)} | ${f(r.max, 3)} |`);
    lines.push('', '| start-up on 101 000 files (until listening) | ms |', '|---|---:|');
    lines.push(`| first start (indexes every file) | ${f(firstStart, 0)} |`, `| after a clean shutdown | ${f(afterClean, 0)} |`, `| after a crash (SIGKILL) | ${f(afterCrash, 0)} |`);
    lines.push('', 'Ratios (targets in brackets):');
    lines.push(`- PUT throughput, davsync / bare handler: ${f((100 * best('davsync')) / best('bare'), 0)} % (≥ 70 %)`);
    lines.push(`- delta k=10, 100 000 / 1 000 files: ${f(deltas.c100k.median / deltas.c1k.median, 2)} (≤ 1.5)`);
  } finally {
    agent.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(lines.join('\n'));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
