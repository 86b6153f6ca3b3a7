#!/usr/bin/env node
// Benchmark servers over a folder, each in its own process, on 127.0.0.1:
//   node bench/support/fs-server.js davsync ROOT   → davsync over openFsStore (no watcher)
//   node bench/support/fs-server.js bare ROOT      → a bare node:http handler that only
//        stores PUT bodies with the same durability (temp file, fsync, rename, dir fsync)
// Prints `ready PORT` once listening (after davsync's start-up reconcile).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { pipeline } = require('node:stream/promises');

const [kind, root] = process.argv.slice(2);

async function bare() {
  const tmp = path.join(root, '.bare-tmp');
  fs.mkdirSync(tmp, { recursive: true });
  return http.createServer(async (req, res) => {
    if (req.method !== 'PUT') {
      res.statusCode = 405;
      return res.end();
    }
    const target = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const temp = path.join(tmp, crypto.randomUUID());
    try {
      const out = fs.createWriteStream(temp);
      await pipeline(req, out);
      const fd = fs.openSync(temp, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const existed = fs.existsSync(target);
      fs.renameSync(temp, target);
      const dfd = fs.openSync(path.dirname(target), 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
      res.statusCode = existed ? 204 : 201;
      res.end();
    } catch {
      res.statusCode = 500;
      res.end();
    }
  });
}

async function davsyncServer() {
  const { openFsStore } = require('@davsync/adapter-fs');
  const { davsync } = require('@davsync/express');
  const store = await openFsStore({ root, watch: false, reconcileIntervalMs: 0 });
  const server = http.createServer(davsync({ engine: store.engine }));
  const stop = () => server.close(() => store.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  return server;
}

(async () => {
  const server = kind === 'bare' ? await bare() : await davsyncServer();
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
