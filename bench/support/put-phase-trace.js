// Preload for bench/support/checksums-server.js (see bench/checksums-phases.js): per PUT, the time from the handler's start to the body's last byte and from there to the response; medians printed to stderr on SIGUSR2.
'use strict';
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const orig = http.createServer;
const stats = { n: 0, recv: [], after: [], total: [] };
http.createServer = function (handler) {
  return orig.call(http, (req, res) => {
    const t0 = performance.now();
    let tFirst, tEnd;
    req.once('data', () => { tFirst = performance.now(); });
    req.once('end', () => { tEnd = performance.now(); });
    res.once('finish', () => {
      const t2 = performance.now();
      if (req.method === 'PUT' && tEnd !== undefined) { stats.recv.push(tEnd - t0); stats.after.push(t2 - tEnd); stats.total.push(t2 - t0); }
    });
    handler(req, res);
  });
};
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
process.on('SIGUSR2', () => {
  console.error(`trace: n=${stats.total.length} recv p50 ${med(stats.recv)?.toFixed(3)} ms, after-end p50 ${med(stats.after)?.toFixed(3)} ms, total p50 ${med(stats.total)?.toFixed(3)} ms`);
  stats.recv = []; stats.after = []; stats.total = [];
});
