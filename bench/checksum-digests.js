#!/usr/bin/env node
// The digests alone (issue 17): CPU ms per MiB of node:crypto's MD5, SHA-1,
// SHA-256 and the combinations davsync can be configured with, fed 64 KiB
// chunks (what a request delivers), best of 5; and the cost of copying
// chunks into a hashing-thread batch. Compare with bench/checksums.js (the
// whole PUT) to see what the hand-off to the hashing thread adds.
// Run: node bench/checksum-digests.js   (a few seconds; no files)
'use strict';
const { createHash } = require('node:crypto');
const chunk = Buffer.alloc(64 * 1024, 7);
const MiB = 64;
for (const algs of [['md5'], ['sha1'], ['sha256'], ['sha1','md5'], ['sha1','md5','sha256']]) {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    const hs = algs.map((a) => createHash(a));
    for (let i = 0; i < MiB * 16; i++) for (const h of hs) h.update(chunk);
    for (const h of hs) h.digest();
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / 1000 / MiB);
  }
  console.log(algs.join('+').padEnd(16), best.toFixed(2), 'ms CPU/MiB', (1000 / best).toFixed(0), 'MiB/s');
}
// copy cost
let best = Infinity;
const dst = Buffer.allocUnsafeSlow(256 * 1024);
for (let r = 0; r < 5; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < 64 * 4; i++) for (let j = 0; j < 4; j++) dst.set(chunk, j * 65536);
  const u = process.cpuUsage(t0);
  best = Math.min(best, (u.user + u.system) / 1000 / 64);
}
console.log('copy into batch ', best.toFixed(3), 'ms CPU/MiB');
