#!/usr/bin/env node
// A davsync server over a filesystem store, in its own process, for tests
// that kill it (crash test) or measure it. Uses the built packages (dist/),
// which `npm test` builds before jest runs.
//   node fs-server.js ROOT [--watch]   → prints `ready PORT` on 127.0.0.1
'use strict';
const http = require('node:http');
const { openFsStore } = require('@davsync/adapter-fs');
const { davsync } = require('@davsync/express');

(async () => {
  const [root, ...flags] = process.argv.slice(2);
  const store = await openFsStore({ root, watch: flags.includes('--watch'), reconcileIntervalMs: 0 });
  const server = http.createServer(davsync({ engine: store.engine }));
  server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
  const stop = () => server.close(() => store.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
