#!/usr/bin/env node
// One large PUT over HTTP into davsync on the fs store (issue: filesystem
// adapter, "a 1 GB PUT works with flat memory"): streams SIZE bytes from
// memory-light generated chunks to a server in its own process, then reads
// the server's peak RSS (VmHWM) before and after, checks the stored file's
// size and a sync report listing it, and removes everything.
// Run: npm run bench:fs:large   (SIZE in MiB with DAVSYNC_LARGE_PUT_MIB, default 1024)
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const MIB = Number(process.env.DAVSYNC_LARGE_PUT_MIB) || 1024;
const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const currentRss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

function start(root) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'support/fs-server.js'), 'davsync', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function put(origin, url, mib) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + url, { method: 'PUT', headers: { 'content-length': String(mib * 2 ** 20) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(2 ** 20, 'davsync ');
    let sent = 0;
    const pump = () => {
      while (sent < mib) {
        sent++;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-large-'));
  const root = path.join(tmp, 'root');
  fs.mkdirSync(root);
  const s = await start(root);
  try {
    const before = { peak: peakRss(s.child.pid), now: currentRss(s.child.pid) };
    const t0 = process.hrtime.bigint();
    const status = await put(s.origin, '/large.bin', MIB);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = peakRss(s.child.pid);
    const size = fs.statSync(path.join(root, 'large.bin')).size;
    if (status !== 201 || size !== MIB * 2 ** 20) throw new Error(`PUT answered ${status}, stored ${size} bytes`);
    const mb = (x) => (x / 2 ** 20).toFixed(1);
    console.log(`# large PUT over HTTP — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}`);
    console.log(`PUT ${MIB} MiB: ${status} in ${seconds.toFixed(1)} s (${(MIB / seconds).toFixed(0)} MiB/s); stored ${size} bytes`);
    console.log(`server RSS before ${mb(before.now)} MiB (peak ${mb(before.peak)} MiB); peak during the PUT ${mb(after)} MiB: +${mb(after - before.peak)} MiB`);
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
