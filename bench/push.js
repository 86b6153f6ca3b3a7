#!/usr/bin/env node
// Push benchmark (issue 19), one process, everything on 127.0.0.1, davsync
// over the memory store with coalescing 0:
//
// 1. Web Push latency: from a PUT's 2xx to the push service receiving the
//    message, with 1, 100 and 1 000 subscriptions on the changed collection
//    (one user, so the per-user cap is raised). The push service takes each
//    POST without decrypting it (the tests prove the messages; this
//    measures delivery). By default it runs in a child process, so its
//    HTTP parsing does not take the server's thread (a real push service is
//    another machine); `DAVSYNC_PUSH_BENCH_RECEIVER=inline` puts it in the
//    server's process, as the first version of this benchmark did. Times
//    are compared across the processes on the shared clock
//    (performance.timeOrigin + performance.now()).
// 1b. (part `floor`) The HTTP floor: the same number of bare POSTs (no
//    davsync, no encryption) per round, to the same push service, through
//    each protocol's client as the transport uses it (HTTP/1.1: undici, 32
//    kept-alive connections; h2: one session, 100 streams in flight), timed
//    from the round's first request, with the Web Push rows' columns. No
//    delivery can beat it on one thread.
// 2. Change stream latency: from a PUT's 2xx to the `change` event at an
//    SSE client, with 1, 100 and 1 000 streams open on the collection.
// 3. Bytes per hour of an idle client: the change stream's heartbeats (one
//    every 30 s by default), a Web Push registration (nothing on the
//    client↔server link while idle), and polling every 30 s with an
//    up-to-date sync-collection REPORT. Counted on the TCP sockets
//    (request and response with headers and chunk framing; no TCP/IP or
//    TLS overhead, which adds to every row).
//
// Latencies: p50 and p99 of (arrival − PUT answered) over every delivery,
// and of the time until the last subscription of each PUT had its message;
// and the median CPU time this process spent per PUT with its fan-out
// (process.cpuUsage: the server's, plus the receiver's when inline), from
// the PUT to its last arrival; with the push service in a child, the
// child's median CPU per PUT (what receiving took, on the other core if
// one is free); and "all CPU per PUT": the process's CPU
// over the whole row (gaps included, so the next messages' key preparation
// too) divided by the PUTs.
// Uncounted PUTs first (DAVSYNC_PUSH_BENCH_WARM_UP, default 5; 1 until 2026-12-02
// night): the first opens the connections, the next let V8 finish compiling the path.
// PUTs are spaced (each waits until the previous one was fully delivered,
// then DAVSYNC_PUSH_BENCH_GAP_MS more, default 100: changes to one
// collection do not come back to back, and the server prepares the next
// messages' keys in such gaps), so every PUT is one message per
// subscription. GAP 0 shows the server with no idle time at all. A latency near 0 (or
// below) is real: the message may arrive before the client has read the
// PUT's answer.
//
// Run: npm run bench:push
//   DAVSYNC_PUSH_BENCH_PUTS=N            PUTs per row (default 30)
//   DAVSYNC_PUSH_BENCH_SIZES=1,100,1000  subscriptions / streams per row
//   DAVSYNC_PUSH_BENCH_PARTS=webpush,floor,sse,bytes  which parts to run
//   DAVSYNC_PUSH_BENCH_GAP_MS=100        pause after each PUT's deliveries (6000: V8's memory reducer has run between
//       changes; 31000: davsync's connections were closed idle too — see docs/performance.md, seventh round)
//   DAVSYNC_PUSH_BENCH_RECEIVER=process  the push service: `process` (a child) or `inline`
//   DAVSYNC_PUSH_BENCH_PROTOCOLS=https1,h2  how the Web Push rows reach the push service, a row
//       per size and protocol: `http` plain HTTP/1.1 (the figures before HTTP/2),
//       `https1` HTTP/1.1 over TLS (`http2: false`), `h2` HTTP/2 over TLS (ALPN); the
//       TLS service has a throwaway certificate (support/self-signed.js) passed
//       to davsync as the test-only `testTrustedCa`, and offers h2 and http/1.1.
//   DAVSYNC_PUSH_BENCH_H2_WINDOW=0  the push service's HTTP/2 connection window, bytes (0: the default 65 535)
//   DAVSYNC_PUSH_BENCH_STORE=memory  the Web Push rows' store: `memory` (one middleware over the memory store), or
//       `postgres`: two instances (two stores, pools, change feeds and middlewares, as two `davsync serve
//       --postgres --push` would have, in this one process) on one database of a throwaway PostgreSQL cluster
//       (fsync on; or DAVSYNC_TEST_PG_URL), registrations made alternately through each, every PUT through
//       the first. The instance that makes a change sends all its messages (the other hears of it by NOTIFY
//       for its change streams only), so that is what is timed; the CPU column is both instances'.
//   DAVSYNC_PUSH_BENCH_WARM_UP=5         uncounted PUTs (floor: rounds) first, after the registrations: the
//       first one opens the connections; the first few after start cost 2–3× (V8 compiling the
//       path on its threads — counted in the process's CPU): 1 shows a freshly started server
//   DAVSYNC_PUSH_BENCH_ANSWER_DELAY_MS=0  the push service answers this long after a message
//       arrived (a service a round trip away: the sender's connection or stream is held meanwhile)
//   DAVSYNC_PUSH_BENCH_HTTP1_CONNECTIONS=32  davsync's push option maxConnectionsPerService (HTTP/1.1)
//   DAVSYNC_PUSH_BENCH_PER_PUT=1         also print (stderr) each PUT's last arrival and CPU, in order
//   DAVSYNC_PUSH_BENCH_FLOOR_HTTP1=undici  the floor's HTTP/1.1 client: `undici` (a Pool of 32 connections, as the
//       transport has since 2026-12-03) or `node` (an https/http Agent of 32 kept-alive sockets, as before)
//   DAVSYNC_PUSH_BENCH_PROFILE=DIR  write a CPU profile of this (the server's) process per Web Push row to DIR,
//       covering only the counted PUTs (not the registrations or the warm-up); summarise it with
//       `node bench/support/profile-summary.js FILE`
'use strict';
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const { selfSigned } = require('./support/self-signed');
const { arrivalCounter, clock, listen, listenPushService, pushServiceHandler, stop } = require('./support/push-receiver');
const { fork } = require('node:child_process');
const { createECDH, randomBytes } = require('node:crypto');
const { davsync, generateVapidKeys } = require('@davsync/express');
const { MemoryAdapter } = require('@davsync/adapter-memory');
const { closePostgres, memoryInstance, postgresInstances, startProfile } = require('./support/push-servers');

const PUTS = Number(process.env.DAVSYNC_PUSH_BENCH_PUTS ?? 30);
const SIZES = (process.env.DAVSYNC_PUSH_BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const PARTS = new Set((process.env.DAVSYNC_PUSH_BENCH_PARTS ?? 'webpush,floor,sse,bytes').split(','));
const GAP_MS = Number(process.env.DAVSYNC_PUSH_BENCH_GAP_MS ?? 100);
const RECEIVER = process.env.DAVSYNC_PUSH_BENCH_RECEIVER ?? 'process';
if (!['process', 'inline'].includes(RECEIVER)) throw new Error('DAVSYNC_PUSH_BENCH_RECEIVER is process or inline');
const PROFILE_DIR = process.env.DAVSYNC_PUSH_BENCH_PROFILE;
const WARM_UP_PUTS = Number(process.env.DAVSYNC_PUSH_BENCH_WARM_UP ?? 5);
const PER_PUT = process.env.DAVSYNC_PUSH_BENCH_PER_PUT === '1';
const HTTP1_CONNECTIONS = process.env.DAVSYNC_PUSH_BENCH_HTTP1_CONNECTIONS === undefined ? undefined : Number(process.env.DAVSYNC_PUSH_BENCH_HTTP1_CONNECTIONS);
const FLOOR_HTTP1 = process.env.DAVSYNC_PUSH_BENCH_FLOOR_HTTP1 ?? 'undici';
const STORE = process.env.DAVSYNC_PUSH_BENCH_STORE ?? 'memory';
if (!['memory', 'postgres'].includes(STORE)) throw new Error('DAVSYNC_PUSH_BENCH_STORE is memory or postgres');
const PROTOCOLS = (process.env.DAVSYNC_PUSH_BENCH_PROTOCOLS ?? 'https1,h2').split(',');
for (const p of PROTOCOLS) if (!['http', 'https1', 'h2'].includes(p)) throw new Error('DAVSYNC_PUSH_BENCH_PROTOCOLS: http, https1, h2');
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function request(url, method, { headers = {}, body, via = agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: via }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), socket: req.socket }));
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

async function waitFor(done, what) {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * PUTs one member at a time, each after the previous one's deliveries and
 * the gap; `arm(n)` is called before each PUT and resolves with the arrival
 * times of its `n` deliveries. Returns the latency summary.
 */
async function measure(origin, expected, arm, label) {
  const latencies = [];
  const fanout = [];
  const cpu = [];
  const rowStart = process.cpuUsage();
  for (let n = 0; n < PUTS; n++) {
    const delivered = withDeadline(arm(expected), `${label} PUT ${n}: ${expected} deliveries`);
    const cpuBefore = process.cpuUsage();
    const r = await request(`${origin}/cal/item${n}.ics`, 'PUT', { body: `item ${n}` });
    const answered = clock();
    if (r.status !== 201) throw new Error(`PUT ${n}: ${r.status}`);
    const arrivals = await delivered;
    // CPU of this process (server, and the receiver when inline) for the PUT and its fan-out: less at the mercy of the machine's load than the latencies.
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
    for (const at of arrivals) latencies.push(at - answered);
    fanout.push(Math.max(...arrivals) - answered);
    if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  const row = process.cpuUsage(rowStart);
  latencies.sort((a, b) => a - b);
  if (PER_PUT) console.error(`${label}, last arrival of each PUT (ms):`, fanout.map((f) => f.toFixed(0)).join(' '), 'cpu', cpu.map((f) => f.toFixed(0)).join(' '));
  fanout.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    lastP50: percentile(fanout, 50),
    lastP99: percentile(fanout, 99),
    cpuP50: percentile(cpu, 50),
    // Everything the process spent over the row (the gaps' key preparation too), per PUT.
    cpuAll: (row.user + row.system) / 1000 / PUTS,
  };
}

function withDeadline(promise, what) {
  let timer;
  const deadline = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within 60 s`)), 60_000)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The child push service's CPU per armed PUT (ms), since the last `takeReceiverCpu`. */
let receiverCpu = [];
function takeReceiverCpu() {
  const taken = receiverCpu.sort((a, b) => a - b);
  receiverCpu = [];
  return taken;
}

/** The push service in this process (`inline`) or in a child (`process`): `{ origin, arm, close }`. */
async function startPushService(protocol = 'http', cert = undefined) {
  if (RECEIVER === 'inline') {
    const counter = arrivalCounter();
    const { origin, close } = await listenPushService(protocol, cert, pushServiceHandler(counter.arrived));
    return { origin, arm: counter.arm, close };
  }
  const env = { ...process.env, DAVSYNC_PUSH_BENCH_SERVICE: JSON.stringify({ protocol, cert }) };
  const child = fork(__filename, ['--push-service'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  const origin = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.origin));
    child.once('error', reject);
  });
  return {
    origin,
    // One IPC message per PUT (not per delivery), so reporting costs the server's process nothing during a fan-out.
    arm: (n) =>
      new Promise((resolve) => {
        child.once('message', (m) => {
          receiverCpu.push(m.cpuMs);
          resolve(m.arrivals);
        });
        child.send({ expect: n });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ stop: true });
      }),
  };
}

/** The child side of `startPushService`. */
async function runPushService() {
  const counter = arrivalCounter();
  const { protocol, cert } = JSON.parse(process.env.DAVSYNC_PUSH_BENCH_SERVICE);
  const { origin, close } = await listenPushService(protocol, cert, pushServiceHandler((at) => counter.arrived(at)));
  process.on('message', (m) => {
    if (m.stop) return void close().then(() => process.disconnect());
    const before = process.cpuUsage();
    counter.arm(m.expect).then((arrivals) => {
      const used = process.cpuUsage(before);
      process.send({ arrivals, cpuMs: (used.user + used.system) / 1000 });
    });
  });
  process.send({ origin });
}

async function webPush(subscriptions, protocol) {
  const cert = protocol === 'http' ? undefined : selfSigned();
  const push = await startPushService(protocol, cert);
  const vapid = { ...generateVapidKeys(), subject: 'mailto:bench@example.com' };
  const pushOptions = {
    vapid,
    allowHttpLoopback: true,
    coalesceMs: 0,
    maxRegistrations: 100_000,
    maxRegistrationsPerUser: 100_000,
    http2: protocol === 'h2',
    ...(HTTP1_CONNECTIONS === undefined ? {} : { maxConnectionsPerService: HTTP1_CONNECTIONS }),
    ...(cert === undefined ? {} : { testTrustedCa: cert.cert }),
  };
  const instances = STORE === 'postgres' ? await postgresInstances(pushOptions) : [await memoryInstance(pushOptions)];
  const [dav] = instances;
  await request(`${dav.origin}/cal/`, 'MKCOL');
  for (let i = 0; i < subscriptions; i++) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const r = await request(`${instances[i % instances.length].origin}/cal/`, 'POST', {
      headers: { 'content-type': 'application/xml' },
      body: registerBody(`${push.origin}/s${i}`, ecdh.getPublicKey().toString('base64url'), randomBytes(16).toString('base64url')),
    });
    if (r.status !== 201) throw new Error(`registration ${i}: ${r.status} ${r.headers['x-davsync-reason'] ?? ''}`);
  }
  if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS)); // registrations' first keys
  // Uncounted PUTs first: the first opens the connections to the push service (a TLS handshake for
  // HTTP/2, up to 32 for HTTP/1.1), which a row of 10–30 PUTs would otherwise have as its p99; the
  // next let V8 finish optimizing the path (the first few after start cost 2–3× the CPU).
  for (let w = 0; w < WARM_UP_PUTS; w++) {
    const warm = withDeadline(push.arm(subscriptions), 'warm-up PUT');
    await request(`${dav.origin}/cal/warm-up.ics`, 'PUT', { body: `warm-up ${w}` });
    await warm;
    if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  const profiler = PROFILE_DIR === undefined ? undefined : await startProfile(PROFILE_DIR);
  takeReceiverCpu(); // not the warm-up's
  const result = await measure(dav.origin, subscriptions, push.arm, 'web push');
  const received = takeReceiverCpu();
  if (received.length > 0) result.receiverCpuP50 = percentile(received, 50);
  if (profiler !== undefined) await profiler.stop(`${PROFILE_DIR}/push-${subscriptions}-${protocol}-${process.pid}.cpuprofile`);
  for (const instance of instances) await instance.close();
  await push.close();
  return result;
}

/**
 * The HTTP floor: `count` bare POSTs of a message's size and headers, PUTS
 * rounds, through the protocol's client as the transport uses it (HTTP/1.1:
 * an undici Pool of 32 kept-alive connections, or with FLOOR_HTTP1=node an
 * agent of 32 kept-alive sockets; h2: one session, at most 100 streams
 * in flight), timed from the round's first request: per delivery and per
 * round's last, like a Web Push row — no davsync and no encryption can do
 * better on this machine.
 */
async function httpFloor(count, protocol) {
  const cert = protocol === 'http' ? undefined : selfSigned();
  const push = await startPushService(protocol, cert);
  const body = Buffer.alloc(250, 1); // about a sealed push-message
  const headers = { ttl: 86400, 'content-type': 'application/octet-stream', 'content-encoding': 'aes128gcm', urgency: 'normal', authorization: `vapid t=${'x'.repeat(300)}, k=${'y'.repeat(87)}`, 'content-length': body.length };
  const send = floorSender(protocol, push.origin, cert, headers, body);
  const latencies = [];
  const last = [];
  const cpu = [];
  for (let n = -WARM_UP_PUTS; n < PUTS; n++) {
    const delivered = withDeadline(push.arm(count), `floor round ${n}`);
    const start = clock();
    const cpuBefore = process.cpuUsage();
    let next = 0;
    // The answers are read too, as the transport reads them.
    await Promise.all(Array.from({ length: Math.min(count, send.inFlight) }, async () => {
      while (next < count) if ((await send.post(`/s${next++}`)) !== 201) throw new Error('floor: push service did not answer 201');
    }));
    const arrivals = await delivered;
    const used = process.cpuUsage(cpuBefore);
    if (n >= 0) {
      cpu.push((used.user + used.system) / 1000);
      for (const at of arrivals) latencies.push(at - start);
      last.push(Math.max(...arrivals) - start);
    }
    if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  send.close();
  await push.close();
  if (PER_PUT) console.error('floor, last arrival of each round (ms):', last.map((f) => f.toFixed(0)).join(' '), 'cpu', cpu.map((f) => f.toFixed(0)).join(' '));
  for (const xs of [latencies, last, cpu]) xs.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), lastP50: percentile(last, 50), lastP99: percentile(last, 99), cpuP50: percentile(cpu, 50), receiverCpuP50: percentile(takeReceiverCpu(), 50) };
}

/** undici as @davsync/express has it (the root's node_modules holds another major, a dependency of node-gyp). */
function expressUndici() {
  return require(require.resolve('undici', { paths: [require.resolve('@davsync/express/package.json')] }));
}

/** The floor's client: `{ post(path) → status, inFlight, close() }`. */
function floorSender(protocol, origin, cert, headers, body) {
  if (protocol === 'h2') {
    const session = http2.connect(origin, { ca: cert.cert });
    const post = (path) =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': path, ...headers });
        stream.on('response', (h) => {
          stream.resume();
          resolve(h[':status']);
        });
        stream.on('error', reject);
        stream.end(body);
      });
    return { post, inFlight: 100, close: () => session.close() };
  }
  const tls = protocol === 'https1';
  if (FLOOR_HTTP1 === 'undici') {
    // The transport's HTTP/1.1 client (push/http1-pools.ts): an undici Pool of 32 connections, pipelining 1.
    const pool = new (expressUndici().Pool)(origin, { connections: 32, pipelining: 1, ...(tls ? { connect: { ca: cert.cert } } : {}) });
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
    const post = (path) =>
      pool.request({ path, method: 'POST', headers: h, body }).then((answer) => {
        answer.body.dump().catch(() => undefined);
        return answer.statusCode;
      });
    return { post, inFlight: Infinity, close: () => pool.destroy() };
  }
  const via = new (tls ? https : http).Agent({ keepAlive: true, maxSockets: 32, ...(tls ? { ca: cert.cert } : {}) });
  const post = (path) =>
    new Promise((resolve, reject) => {
      const req = (tls ? https : http).request(`${origin}${path}`, { method: 'POST', headers, agent: via }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end(body);
    });
  // The agent queues beyond its sockets itself.
  return { post, inFlight: Infinity, close: () => via.destroy() };
}

/** Opens a change stream; calls `onEvent` with the arrival time of each `change` event. */
function openStream(url, onEvent, onBytes) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (chunk) => {
        const at = performance.now();
        onBytes?.(req.socket, chunk);
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (event.startsWith('event: change')) onEvent(at);
        }
      });
      res.on('error', () => undefined);
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

async function sse(streams) {
  const counter = arrivalCounter();
  let opened = 0;
  const middleware = davsync({ adapter: new MemoryAdapter(), changeStream: { maxStreams: 100_000, maxPerUser: 100_000 } });
  const dav = await listen((req, res) => middleware(req, res));
  await request(`${dav.origin}/cal/`, 'MKCOL');
  const requests = [];
  let first = 0;
  for (let i = 0; i < streams; i++) {
    requests.push(
      await openStream(`${dav.origin}/cal/`, (at) => {
        // Each stream's first event is the current token: not a change of ours.
        if (first < streams) first += 1;
        else counter.arrived(performance.timeOrigin + at);
      }),
    );
    opened += 1;
  }
  await waitFor(() => first >= opened, `${opened} streams' first events`);
  const result = await measure(dav.origin, streams, counter.arm, 'sse');
  middleware.changeStreams.close();
  for (const r of requests) r.destroy();
  await stop(dav.server);
  return result;
}

/** Bytes one idle client moves per hour: change stream heartbeats, Web Push, polling with an up-to-date REPORT. */
async function idleBytes() {
  const HEARTBEATS = 20;
  const middleware = davsync({ adapter: new MemoryAdapter(), changeStream: { heartbeatMs: 20 } });
  const dav = await listen((req, res) => middleware(req, res));
  await request(`${dav.origin}/cal/`, 'MKCOL');
  await request(`${dav.origin}/cal/a.ics`, 'PUT', { body: 'a' });

  // Heartbeats: bytes read on the stream's socket from one heartbeat to HEARTBEATS heartbeats later.
  const beats = [];
  const stream = await openStream(`${dav.origin}/cal/`, () => undefined, (socket, chunk) => {
    if (chunk.includes(': heartbeat')) beats.push(socket.bytesRead);
  });
  await waitFor(() => beats.length > HEARTBEATS, 'heartbeats');
  const perHeartbeat = (beats[HEARTBEATS] - beats[0]) / HEARTBEATS;
  stream.destroy();

  // Polling: one sync-collection REPORT with the current token (nothing changed), new connection each time
  // (a 30 s interval outlives keep-alive timeouts), bytes on the socket both ways.
  const initial = await request(`${dav.origin}/cal/`, 'REPORT', { headers: { 'content-type': 'application/xml', depth: '0' }, body: syncBody('') });
  const token = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(initial.body)?.[1] ?? /sync-token>([^<]+)</.exec(initial.body)?.[1];
  if (token === undefined) throw new Error('no sync token in the initial REPORT');
  const poll = await request(`${dav.origin}/cal/`, 'REPORT', { headers: { 'content-type': 'application/xml', depth: '0' }, body: syncBody(token), via: false });
  if (poll.status !== 207) throw new Error(`poll: ${poll.status}`);
  const pollBytes = { sent: poll.socket.bytesWritten, received: poll.socket.bytesRead };
  middleware.changeStreams.close();
  await stop(dav.server);
  return { perHeartbeat, pollBytes };
}

const syncBody = (token) =>
  `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token>` +
  '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>';

const row = (n, r, protocol) =>
  `${String(n).padStart(13)} | ${(protocol ?? '').padEnd(8)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.lastP50.toFixed(1).padStart(20)} | ${r.lastP99.toFixed(1).padStart(6)} | ${r.cpuP50.toFixed(1).padStart(18)}${r.cpuAll === undefined ? '' : ` | ${r.cpuAll.toFixed(1).padStart(19)}`}${r.receiverCpuP50 === undefined ? '' : ` | ${r.receiverCpuP50.toFixed(1).padStart(23)}`}`;

(async () => {
  if (process.argv.includes('--push-service')) return runPushService();
  const header = 'subscriptions | p50 ms | p99 ms | last of a PUT p50 ms | p99 ms | CPU per PUT p50 ms | all CPU per PUT ms';
  if (PARTS.has('webpush')) {
    console.log(`Web Push latency, PUT 2xx → message at the push service (${PUTS} PUTs per row, ${GAP_MS} ms between, push service ${RECEIVER === 'process' ? 'in a child process' : 'in the server process'}, coalesceMs 0, ${STORE === 'postgres' ? 'two instances on PostgreSQL, PUTs through the first' : 'memory store'}, node ${process.version})`);
    console.log(`${header.replace('subscriptions |', 'subscriptions | protocol |')}${RECEIVER === 'process' ? ' | receiver CPU per PUT p50 ms' : ''}`);
    for (const size of SIZES) for (const protocol of PROTOCOLS) console.log(row(size, await webPush(size, protocol), STORE === 'postgres' ? `${protocol} pg` : protocol));
  }
  if (PARTS.has('floor')) {
    console.log(`\nHTTP floor: N bare POSTs (no davsync, no encryption) to the same push service, timed from a round's first request (${PUTS} rounds, ${GAP_MS} ms between)`);
    console.log(`${header.replace('subscriptions |', '            N | protocol |').replace('last of a PUT', 'last of a round').replace('CPU per PUT p50 ms | all CPU per PUT ms', 'CPU per round p50 ms')}${RECEIVER === 'process' ? ' | receiver CPU per round p50 ms' : ''}`);
    for (const size of SIZES) for (const protocol of PROTOCOLS) console.log(row(size, await httpFloor(size, protocol), protocol));
  }
  if (PARTS.has('sse')) {
    console.log(`\nchange stream latency, PUT 2xx → event at an SSE client (${PUTS} PUTs per row, ${GAP_MS} ms between)`);
    console.log(header.replace('subscriptions |', '      streams | protocol |'));
    for (const size of SIZES) console.log(row(size, await sse(size), 'sse'));
  }
  if (PARTS.has('bytes')) {
    const { perHeartbeat, pollBytes } = await idleBytes();
    const poll = pollBytes.sent + pollBytes.received;
    console.log('\nidle client, bytes per hour on the client↔server link (TCP payload: headers, bodies, chunk framing; no TCP/IP or TLS overhead)');
    console.log('how | per event | per hour');
    console.log(`change stream, heartbeat every 30 s | ${perHeartbeat.toFixed(0)} B | ${(perHeartbeat * 120).toFixed(0)} B`);
    console.log('Web Push registration | 0 B (the client listens to its push service, shared with its other apps) | 0 B');
    console.log(`polling every 30 s, up-to-date sync-collection REPORT | ${poll} B (${pollBytes.sent} sent, ${pollBytes.received} received) | ${poll * 120} B`);
  }
  agent.destroy();
  await closePostgres();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
