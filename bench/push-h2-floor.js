#!/usr/bin/env node
// Does HTTP/2 pay for Web Push delivery (issue 19)? N bare POSTs of a
// sealed message's size and headers (no davsync, no encryption) from this
// process to a push service in a child process on 127.0.0.1, over
//   http1  — plain HTTP/1.1, keep-alive agent, 32 sockets (bench/push.js's floor)
//   https1 — HTTP/1.1 over TLS, keep-alive agent, 32 sockets (today's transport to a real push service)
//   h2     — HTTP/2 over TLS (ALPN h2), one session, N streams, at most
//            DAVSYNC_H2_FLOOR_STREAMS in flight (default 100, a common
//            SETTINGS_MAX_CONCURRENT_STREAMS)
// Connections are opened in a warm-up round and reused (as the transport
// keeps them). Per round: wall time from the first request to the last
// answer read, and CPU of the sender and of the receiver (process.cpuUsage
// in each process). Medians over the rounds.
//
// Run: node bench/push-h2-floor.js
//   DAVSYNC_H2_FLOOR_SIZES=100,1000   POSTs per round
//   DAVSYNC_H2_FLOOR_ROUNDS=10        rounds per row (after one warm-up)
//   DAVSYNC_H2_FLOOR_MODES=http1,https1,h2
//   DAVSYNC_H2_FLOOR_STREAMS=100      h2 streams in flight
'use strict';
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const { fork } = require('node:child_process');
const { selfSigned } = require('./support/self-signed');

const SIZES = (process.env.DAVSYNC_H2_FLOOR_SIZES ?? '100,1000').split(',').map(Number);
const ROUNDS = Number(process.env.DAVSYNC_H2_FLOOR_ROUNDS ?? 10);
const MODES = (process.env.DAVSYNC_H2_FLOOR_MODES ?? 'http1,https1,h2').split(',');
const STREAMS = Number(process.env.DAVSYNC_H2_FLOOR_STREAMS ?? 100);

const body = Buffer.alloc(250, 1); // about a sealed push-message
const headers = { ttl: '86400', 'content-type': 'application/octet-stream', 'content-encoding': 'aes128gcm', urgency: 'normal', authorization: `vapid t=${'x'.repeat(300)}, k=${'y'.repeat(87)}` };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (u) => (u.user + u.system) / 1000;

/** The child: one TLS server speaking h2 and HTTP/1.1 (ALPN), one plain HTTP/1.1 server; answers 201. */
function runReceiver() {
  const { key, cert } = JSON.parse(process.env.DAVSYNC_H2_FLOOR_CERT);
  const handler = (req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 201;
      res.end();
    });
  };
  const secure = http2.createSecureServer({ key, cert, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } }, handler);
  const plain = http.createServer(handler);
  let cpuBefore;
  secure.listen(0, '127.0.0.1', () =>
    plain.listen(0, '127.0.0.1', () => process.send({ tls: `https://127.0.0.1:${secure.address().port}`, plain: `http://127.0.0.1:${plain.address().port}` })),
  );
  process.on('message', (m) => {
    if (m === 'start') {
      cpuBefore = process.cpuUsage();
      process.send({ started: true });
    }
    if (m === 'stop') process.send({ cpu: cpuMs(process.cpuUsage(cpuBefore)) });
    if (m === 'exit') process.exit(0);
  });
}

function ask(child, message) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });
}

/** A sender for `mode`: `{ post(path) → status, close() }`. */
function sender(mode, origins, ca) {
  if (mode === 'h2') {
    const session = http2.connect(origins.tls, { ca });
    return {
      post: (path) =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ':method': 'POST', ':path': path, ...headers, 'content-length': body.length });
          stream.on('response', (h) => {
            stream.resume();
            stream.on('end', () => resolve(h[':status']));
          });
          stream.on('error', reject);
          stream.end(body);
        }),
      close: () => session.close(),
      limit: STREAMS,
    };
  }
  const tls = mode === 'https1';
  const agent = new (tls ? https : http).Agent({ keepAlive: true, maxSockets: 32, ...(tls ? { ca } : {}) });
  const request = tls ? https.request : http.request;
  const origin = tls ? origins.tls : origins.plain;
  return {
    post: (path) =>
      new Promise((resolve, reject) => {
        const req = request(`${origin}${path}`, { method: 'POST', headers: { ...headers, 'content-length': body.length }, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
    // The agent queues beyond its 32 sockets itself.
    limit: Infinity,
  };
}

/** `count` POSTs, at most `limit` at once. */
async function round(send, count) {
  let next = 0;
  const workers = Math.min(count, send.limit);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) {
        const status = await send.post(`/s${next++}`);
        if (status !== 201) throw new Error(`status ${status}`);
      }
    }),
  );
}

(async () => {
  if (process.argv.includes('--receiver')) return runReceiver();
  const { key, cert } = selfSigned();
  const child = fork(__filename, ['--receiver'], { env: { ...process.env, DAVSYNC_H2_FLOOR_CERT: JSON.stringify({ key, cert }) } });
  const origins = await new Promise((resolve) => child.once('message', resolve));
  console.log(`HTTP floor, N bare POSTs to a push service in a child process (${ROUNDS} rounds per row after a warm-up; h2: ${STREAMS} streams in flight; node ${process.version})`);
  console.log('mode   |     N | wall p50 ms | sender CPU p50 ms | receiver CPU p50 ms');
  for (const size of SIZES) {
    for (const mode of MODES) {
      const send = sender(mode, origins, cert);
      await round(send, size); // warm-up: connections opened, code hot
      const wall = [];
      const cpu = [];
      const receiver = [];
      for (let r = 0; r < ROUNDS; r++) {
        await ask(child, 'start');
        const cpuBefore = process.cpuUsage();
        const start = performance.now();
        await round(send, size);
        wall.push(performance.now() - start);
        cpu.push(cpuMs(process.cpuUsage(cpuBefore)));
        receiver.push((await ask(child, 'stop')).cpu);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      send.close();
      console.log(`${mode.padEnd(6)} | ${String(size).padStart(5)} | ${median(wall).toFixed(1).padStart(11)} | ${median(cpu).toFixed(1).padStart(17)} | ${median(receiver).toFixed(1).padStart(19)}`);
    }
  }
  child.send('exit');
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
