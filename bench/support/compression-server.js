#!/usr/bin/env node
// The compression benchmark's server, in its own process so its CPU time
// is its own: one memory store holding /c/ with N small vCards, served by
// one middleware per gzip level over the same engine, mounted at /l1, /l4,
// /l6, /l9 (and /off with `compression: false`).
//   node bench/support/compression-server.js N
// Prints `ready PORT`. GET /__cpu answers { userUs, systemUs } (process.cpuUsage(),
// which counts zlib's thread-pool work too).
'use strict';
const http = require('node:http');

const n = Number(process.argv[2] ?? 50_000);
const vcard = (i) => Buffer.from(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${i}\r\nFN:Member ${i}\r\nEND:VCARD\r\n`);
const body = (buf) => (async function* () { yield buf; })();

(async () => {
  const { davsync } = require('@davsync/express');
  const { MemoryAdapter } = require('@davsync/adapter-memory');
  const { SyncEngine } = require('@davsync/core');
  const engine = new SyncEngine({ adapter: new MemoryAdapter() });
  await engine.mkcol('/c');
  for (let i = 0; i < n; i++) await engine.write(`/c/member-${String(i).padStart(6, '0')}.vcf`, body(vcard(i)), { contentType: 'text/vcard' });
  const mounts = new Map([
    ['/off', davsync({ engine, compression: false })],
    ...[1, 4, 6, 9].map((level) => [`/l${level}`, davsync({ engine, compression: { level } })]),
  ]);
  const server = http.createServer((req, res) => {
    if (req.url === '/__cpu') {
      const { user, system } = process.cpuUsage();
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ userUs: user, systemUs: system }));
    }
    const prefix = /^\/[a-z0-9]+/.exec(req.url ?? '')?.[0];
    const mw = prefix === undefined ? undefined : mounts.get(prefix);
    if (mw === undefined) {
      res.statusCode = 404;
      return res.end();
    }
    Object.assign(req, { originalUrl: req.url, url: req.url.slice(prefix.length) || '/' });
    mw(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
