#!/usr/bin/env node
// A benchmark server in its own process, so its memory can be measured.
//   node bench/support/server.js davsync c1k=1000 c100k=100000   → davsync over the memory adapter,
//        with collections /c1k/ and /c100k/ holding that many small vCards
//   node bench/support/server.js bare BYTES                        → a bare Express handler answering
//        every request with a fixed 207 body of BYTES bytes (the baseline)
// Prints `ready PORT` when listening on 127.0.0.1. GET /__stats answers with
// { maxRssBytes } (process.resourceUsage().maxRSS).
'use strict';
const http = require('node:http');

const [kind, ...args] = process.argv.slice(2);

function stats(req, res) {
  if (req.url !== '/__stats') return false;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
  return true;
}

const vcard = (i, v = 1) => Buffer.from(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${i}\r\nFN:Member ${i} v${v}\r\nEND:VCARD\r\n`);
const body = (buf) => (async function* () { yield buf; })();

async function davsyncServer() {
  const { davsync } = require('@davsync/express');
  const { MemoryAdapter } = require('@davsync/adapter-memory');
  const mw = davsync({ adapter: new MemoryAdapter() });
  for (const spec of args) {
    const [name, n] = spec.split('=');
    await mw.engine.mkcol(`/${name}`);
    for (let i = 0; i < Number(n); i++) await mw.engine.write(`/${name}/m${i}.vcf`, body(vcard(i)), { contentType: 'text/vcard' });
  }
  return (req, res) => stats(req, res) || mw(req, res);
}

function bareServer() {
  const express = require('express');
  const bytes = Number(args[0]);
  const head = '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:"><D:sync-token>';
  const tail = '</D:sync-token></D:multistatus>';
  const fixed = head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
  const app = express();
  app.use((req, res, next) => (stats(req, res) ? undefined : next()));
  app.all('/{*any}', (req, res) => {
    req.resume();
    res.status(207).type('application/xml; charset=utf-8').send(fixed);
  });
  return app;
}

(async () => {
  const handler = kind === 'bare' ? bareServer() : await davsyncServer();
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
