#!/usr/bin/env node
// Bytes on the wire for a delta download after an insertion (issue #20,
// ds:chunk-hashes): a davsync server (memory store) on 127.0.0.1 behind a
// counting TCP proxy; `syncUntilAgreed` (the client library behind
// `davsync sync`) mirrors a SIZE MiB random file into a temporary folder;
// then 1 KiB is inserted in the middle of the server's copy (a PUT straight
// to the server) and the client syncs again through the proxy. Twice:
//   fixed  the proxy's server hides ds:chunk-hashes (the PROPFIND body is
//          stripped of it): fixed 4 MiB blocks only, as before
//   cdc    the server answers it: FastCDC chunks
// Reported per mode: bytes down and up during the second sync, its wall
// time (the server's on-demand chunking and the client's chunking of its
// old copy included), and whether the local file then equals the server's.
// Run: npm run bench:cdc:download   (SIZE in MiB with DAVSYNC_CDC_MIB, default 64)
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs/promises');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { MemoryAdapter } = require('../packages/adapter-memory/dist/index.js');
const { davsync } = require('../packages/express/dist/index.js');
const { syncUntilAgreed } = require('../packages/client/dist/index.js');

const MIB = 2 ** 20;
const SIZE = (Number(process.env.DAVSYNC_CDC_MIB) || 64) * MIB;

async function bodyOf(req) {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

async function startServer(hideChunks) {
  const middleware = davsync({ adapter: new MemoryAdapter() });
  const server = http.createServer((req, res) => {
    if (!hideChunks || req.method !== 'PROPFIND') return middleware(req, res);
    void bodyOf(req).then((body) => {
      Object.assign(req, { body: Buffer.from(body.replace(/<[^<>]*chunk-hashes[^<>]*\/>/g, '')) });
      middleware(req, res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port };
}

async function startProxy(targetPort) {
  const counts = { up: 0, down: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d) => (counts.up += d.length));
    upstream.on('data', (d) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    counts,
    port: server.address().port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function run(mode) {
  const { server, port } = await startServer(mode === 'fixed');
  const proxy = await startProxy(port);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'davsync-bench-cdc-'));
  try {
    const dir = path.join(tmp, 'folder');
    await fs.mkdir(dir);
    await fetch(`http://127.0.0.1:${port}/c/`, { method: 'MKCOL' });
    const url = `http://127.0.0.1:${proxy.port}/c/`;
    const original = randomBytes(SIZE);
    await fs.writeFile(path.join(dir, 'big.bin'), original);
    if (!(await syncUntilAgreed({ dir, url })).agreed) throw new Error('initial sync did not agree');
    const at = SIZE / 2 + 12345;
    const inserted = Buffer.concat([original.subarray(0, at), randomBytes(1024), original.subarray(at)]);
    const put = await fetch(`http://127.0.0.1:${port}/c/big.bin`, { method: 'PUT', body: inserted });
    if (put.status !== 204) throw new Error(`PUT: ${put.status}`);
    proxy.counts.up = proxy.counts.down = 0;
    const t = process.hrtime.bigint();
    const agreed = (await syncUntilAgreed({ dir, url })).agreed;
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const local = await fs.readFile(path.join(dir, 'big.bin'));
    const same = createHash('sha256').update(local).digest('hex') === createHash('sha256').update(inserted).digest('hex');
    return { mode, agreed, same, down: proxy.counts.down, up: proxy.counts.up, ms };
  } finally {
    await proxy.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

(async () => {
  console.log(`file ${SIZE / MIB} MiB, 1 KiB inserted in the middle on the server; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| mode | MiB down | KiB up | sync time (ms) | agreed, content equal |');
  console.log('|---|---|---|---|---|');
  let ok = true;
  for (const mode of ['fixed', 'cdc']) {
    const r = await run(mode);
    ok &&= r.agreed && r.same;
    console.log(`| ${r.mode} | ${(r.down / MIB).toFixed(2)} | ${(r.up / 1024).toFixed(1)} | ${r.ms.toFixed(0)} | ${r.agreed && r.same ? 'yes' : 'NO'} |`);
  }
  process.exitCode = ok ? 0 : 1;
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
