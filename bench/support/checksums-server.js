#!/usr/bin/env node
// A davsync server for bench/checksums.js, in its own process on 127.0.0.1:
//   node bench/support/checksums-server.js memory|fs on|off|ALGORITHMS [ROOT]
// `off` is the `checksums: false` option (no hashing on PUT); `sha1,md5` (a
// list) is `checksums: { algorithms: [...] }`. Prints `ready PORT`.
'use strict';
const http = require('node:http');

const [store, hashing, root] = process.argv.slice(2);
const checksums = hashing === 'on' ? true : hashing === 'off' ? false : { algorithms: hashing.split(',') };

(async () => {
  const { davsync } = require('@davsync/express');
  let handler;
  let close = async () => undefined;
  if (store === 'memory') {
    const { MemoryAdapter } = require('@davsync/adapter-memory');
    handler = davsync({ adapter: new MemoryAdapter(), checksums });
  } else {
    const { openFsStore } = require('@davsync/adapter-fs');
    const opened = await openFsStore({ root, watch: false, reconcileIntervalMs: 0, engine: { checksums } });
    handler = davsync({ engine: opened.engine });
    close = () => opened.close();
  }
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  process.once('SIGTERM', () => server.close(() => close().then(() => process.exit(0))));
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
