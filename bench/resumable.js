#!/usr/bin/env node
// Resumable uploads over HTTP into davsync on the fs store, the server in its
// own process (bench/support/fs-server.js): SIZE MiB sent
//   1. as a plain PUT (the baseline),
//   2. as a resumable PUT (Upload-Complete: ?1) sent whole: the cost of
//      staging the bytes in .davsync/uploads/ before they become the member,
//   3. as a resumable PUT cut off at half (the client destroys its request),
//      then HEAD for the offset and a PATCH with the rest:
// and prints the bytes sent on resume against restarting from zero, the times,
// and the bytes the server process wrote to disk for each (/proc/PID/io
// write_bytes: what completion costs — a copy, or a rename on the fs store).
// Run: npm run bench:resumable   (SIZE in MiB with DAVSYNC_RESUME_MIB, default 256)
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const MIB = Number(process.env.DAVSYNC_RESUME_MIB) || 256;
const SIZE = MIB * 2 ** 20;
const CHUNK = Buffer.alloc(2 ** 20, 'davsync ');

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

/** Sends `bytes` of CHUNKs; resolves with the response (or, when `cutAt` is given, destroys the request after that many bytes). */
function send(url, method, headers, bytes, cutAt) {
  return new Promise((resolve, reject) => {
    let location;
    const req = http.request(url, { method, headers: { ...headers, 'content-length': String(bytes) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, location }));
    });
    req.on('information', (info) => (location ??= info.headers.location));
    req.on('error', (err) => (cutAt === undefined ? reject(err) : undefined));
    let sent = 0;
    const pump = () => {
      while (sent < (cutAt ?? bytes)) {
        const n = Math.min(CHUNK.length, (cutAt ?? bytes) - sent);
        sent += n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return req.once('drain', pump);
      }
      if (cutAt === undefined) return req.end();
      // The client dies once its bytes are on the wire and the 104 has come.
      const wait = () => (location === undefined ? setTimeout(wait, 10) : setTimeout(() => (req.destroy(), resolve({ location })), 500));
      wait();
    };
    pump();
  });
}

function head(url) {
  return new Promise((resolve, reject) => {
    http.request(url, { method: 'HEAD' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, offset: Number(res.headers['upload-offset']) });
    }).on('error', reject).end();
  });
}

/** The server's peak resident memory so far (Linux). */
const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
/** Bytes the server process has caused to be written to storage so far (Linux). */
const writtenBytes = (pid) => Number(/write_bytes:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const IETF = { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'content-type': 'application/octet-stream' };

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-resume-'));
  const root = path.join(tmp, 'root');
  fs.mkdirSync(root);
  const s = await start(root);
  try {
    const peakAtStart = peakRss(s.child.pid);
    const pid = s.child.pid;
    let w0 = writtenBytes(pid);
    let t0 = process.hrtime.bigint();
    const plain = await send(`${s.origin}/plain.bin`, 'PUT', {}, SIZE);
    const plainS = seconds(t0);
    const plainW = writtenBytes(pid) - w0;

    w0 = writtenBytes(pid);
    t0 = process.hrtime.bigint();
    const whole = await send(`${s.origin}/whole.bin`, 'PUT', IETF, SIZE);
    const wholeS = seconds(t0);
    const wholeW = writtenBytes(pid) - w0;

    const half = Math.floor(SIZE / 2);
    w0 = writtenBytes(pid);
    t0 = process.hrtime.bigint();
    const { location } = await send(`${s.origin}/resumed.bin`, 'PUT', IETF, SIZE, half);
    const cutS = seconds(t0);
    // The server notices the cut and records what arrived: wait until the offset holds still.
    let kept = { offset: -1 };
    for (let i = 0, same = 0; i < 300 && same < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await head(location);
      same = now.offset === kept.offset && now.offset > 0 ? same + 1 : 0;
      kept = now;
    }
    const rest = SIZE - kept.offset;
    // The rest: the same pattern, so the member's bytes are the source's.
    t0 = process.hrtime.bigint();
    const resumed = await send(location, 'PATCH', { 'content-type': 'application/partial-upload', 'upload-offset': String(kept.offset), 'upload-complete': '?1' }, rest);
    const resumeS = seconds(t0);
    const resumedW = writtenBytes(pid) - w0;
    const stored = fs.statSync(path.join(root, 'resumed.bin')).size;
    const peakAtEnd = peakRss(s.child.pid);

    console.log(`resumable uploads, fs store, ${MIB} MiB (${SIZE} bytes), ${os.cpus().length} cores ${os.cpus()[0].model}, Node ${process.version}`);
    const ratio = (w) => `disk writes ${(w / SIZE).toFixed(2)} × size`;
    console.log(`  plain PUT:                         ${plain.status}  ${plainS.toFixed(2)} s  ${(MIB / plainS).toFixed(0)} MiB/s  ${ratio(plainW)}`);
    console.log(`  resumable PUT sent whole:          ${whole.status}  ${wholeS.toFixed(2)} s  ${(MIB / wholeS).toFixed(0)} MiB/s  ${ratio(wholeW)}`);
    console.log(`  cut off after ${half} bytes written: kept ${kept.offset} (${((100 * kept.offset) / SIZE).toFixed(1)} %), ${cutS.toFixed(2)} s`);
    console.log(`  resume (PATCH the rest):           ${resumed.status}  ${resumeS.toFixed(2)} s  sent ${rest} bytes = ${((100 * rest) / SIZE).toFixed(1)} % of the file; member ${stored === SIZE ? 'complete' : `WRONG SIZE ${stored}`}`);
    console.log(`  cut-off upload and its resume, together: ${ratio(resumedW)}`);
    console.log(`  bytes sent in all: resumed ${half + rest} (${((half + rest) / SIZE).toFixed(3)} × size) vs restarted from zero ${half + SIZE} (${((half + SIZE) / SIZE).toFixed(3)} ×)`);
    console.log(`  server peak RSS: ${(peakAtStart / 2 ** 20).toFixed(0)} MiB after start-up, ${(peakAtEnd / 2 ** 20).toFixed(0)} MiB after all three uploads (flat: no body held whole)`);
    if (stored !== SIZE || resumed.status !== 201) process.exitCode = 1;
  } finally {
    s.child.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
