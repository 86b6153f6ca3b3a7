#!/usr/bin/env node
// Push latency benchmark (issue 19): from a PUT's 2xx to the push service
// receiving the message, with 1, 100 and 1 000 subscriptions registered on
// the changed collection. One process: davsync over the memory store, and a
// push service on 127.0.0.1 that takes each POST (it does not decrypt: the
// tests prove the messages; this measures delivery). Reported: p50 and p99
// of (arrival − PUT answered) over every delivery, and the time until the
// last subscription of each PUT had its message. Coalescing is 0 and PUTs
// are spaced so that every PUT is one message per subscription. A latency
// near 0 (or below) is real: the message may reach the push service before
// the client has read the PUT's answer.
// Run: npm run bench:push   (DAVSYNC_PUSH_BENCH_PUTS=N, DAVSYNC_PUSH_BENCH_SIZES=1,100 to shorten)
'use strict';
const http = require('node:http');
const { createECDH, randomBytes } = require('node:crypto');
const { davsync, generateVapidKeys } = require('@davsync/express');
const { MemoryAdapter } = require('@davsync/adapter-memory');

const PUTS = Number(process.env.DAVSYNC_PUSH_BENCH_PUTS ?? 30);
const SIZES = (process.env.DAVSYNC_PUSH_BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function listen(handler) {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

function request(url, method, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const registerBody = (resource, key, auth) => `<P:push-register xmlns:P="https://bitfire.at/webdav-push" xmlns:D="DAV:"><P:subscription><P:web-push-subscription>
<P:push-resource>${resource}</P:push-resource><P:content-encoding>aes128gcm</P:content-encoding>
<P:subscription-public-key type="p256dh">${key}</P:subscription-public-key><P:auth-secret>${auth}</P:auth-secret>
</P:web-push-subscription></P:subscription><P:trigger><P:content-update><D:depth>1</D:depth></P:content-update></P:trigger></P:push-register>`;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(subscriptions) {
  const arrivals = [];
  const push = await listen((req, res) => {
    const at = performance.now();
    req.resume();
    req.on('end', () => {
      arrivals.push(at);
      res.statusCode = 201;
      res.end();
    });
  });
  const vapid = { ...generateVapidKeys(), subject: 'mailto:bench@example.com' };
  const middleware = davsync({ adapter: new MemoryAdapter(), push: { vapid, allowHttpLoopback: true, coalesceMs: 0, maxRegistrations: 100_000 } });
  const dav = await listen((req, res) => middleware(req, res));
  await request(`${dav.origin}/cal/`, 'MKCOL');
  for (let i = 0; i < subscriptions; i++) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const r = await request(`${dav.origin}/cal/`, 'POST', {
      headers: { 'content-type': 'application/xml' },
      body: registerBody(`${push.origin}/s${i}`, ecdh.getPublicKey().toString('base64url'), randomBytes(16).toString('base64url')),
    });
    if (r.status !== 201) throw new Error(`registration ${i}: ${r.status}`);
  }
  const latencies = [];
  const fanout = [];
  for (let n = 0; n < PUTS; n++) {
    arrivals.length = 0;
    const r = await request(`${dav.origin}/cal/item${n}.ics`, 'PUT', { body: `item ${n}` });
    const answered = performance.now();
    if (r.status !== 201) throw new Error(`PUT ${n}: ${r.status}`);
    const deadline = Date.now() + 60_000;
    while (arrivals.length < subscriptions) {
      if (Date.now() > deadline) throw new Error(`PUT ${n}: ${arrivals.length} of ${subscriptions} messages within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    for (const at of arrivals) latencies.push(at - answered);
    fanout.push(Math.max(...arrivals) - answered);
  }
  await middleware.push.close();
  for (const s of [dav.server, push.server]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  latencies.sort((a, b) => a - b);
  fanout.sort((a, b) => a - b);
  return { subscriptions, puts: PUTS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), lastP50: percentile(fanout, 50), lastP99: percentile(fanout, 99) };
}

(async () => {
  console.log(`push latency, PUT 2xx → message at the push service (${PUTS} PUTs per row, coalesceMs 0, node ${process.version})`);
  console.log('subscriptions | p50 ms | p99 ms | last of a PUT p50 ms | p99 ms');
  for (const size of SIZES) {
    const r = await run(size);
    console.log(`${String(r.subscriptions).padStart(13)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.lastP50.toFixed(1).padStart(20)} | ${r.lastP99.toFixed(1).padStart(6)}`);
  }
  agent.destroy();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
