// The push service side of bench/push.js: a receiver that takes every
// POST with 201 and records when it arrived, over plain HTTP/1.1 or TLS
// (h2 and http/1.1 by ALPN), and the arrival bookkeeping.
'use strict';
const http = require('node:http');
const http2 = require('node:http2');

/** The push service's HTTP/2 connection window, bytes (0: the protocol's 65 535). */
const H2_WINDOW = Number(process.env.DAVSYNC_PUSH_BENCH_H2_WINDOW ?? 0);

/**
 * Delay before each answer, ms (0: at once): stands in for a push service
 * across the internet, whose answer comes a round trip later — what bounds a
 * sender by its connections (HTTP/1.1) or streams in flight (h2).
 */
const ANSWER_DELAY_MS = Number(process.env.DAVSYNC_PUSH_BENCH_ANSWER_DELAY_MS ?? 0);

/** Now on the clock both processes share (ms since the epoch, sub-ms resolution). */
const clock = () => performance.timeOrigin + performance.now();

function listen(handler) {
  // Past Node's 5 s default: the benchmark's kept-alive client agent must not reuse a socket the server just closed in a long gap (GAP_MS ≥ 5 000).
  const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

async function stop(...servers) {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
}

/** Arrival times pushed by a receiver, handed out `n` at a time (`arm`). */
function arrivalCounter() {
  let arrivals = [];
  let waiting;
  // Deliveries may come before the child hears it is armed: they wait in `arrivals`.
  const settle = () => {
    if (waiting === undefined || arrivals.length < waiting.n) return;
    const { resolve } = waiting;
    waiting = undefined;
    const got = arrivals;
    arrivals = [];
    resolve(got);
  };
  return {
    arrived(at) {
      arrivals.push(at);
      settle();
    },
    arm: (n) =>
      new Promise((resolve) => {
        waiting = { n, resolve };
        settle();
      }),
  };
}

/** A push service that takes every POST with 201 and records when it arrived. */
function pushServiceHandler(arrived) {
  return (req, res) => {
    const at = clock();
    req.resume();
    req.on('end', () => {
      arrived(at);
      res.statusCode = 201;
      if (ANSWER_DELAY_MS > 0) setTimeout(() => res.end(), ANSWER_DELAY_MS);
      else res.end();
    });
  };
}

/**
 * A push service on 127.0.0.1: plain HTTP/1.1 (`http`), or TLS offering h2
 * and http/1.1 (`https1`, `h2`: the client chooses). `{ origin, close }`.
 */
async function listenPushService(protocol, cert, handler) {
  if (protocol === 'http') {
    const { server, origin } = await listen(handler);
    return { origin, close: () => stop(server) };
  }
  const server = http2.createSecureServer({ ...cert, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } }, handler);
  const sessions = new Set();
  const sockets = new Set();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    // The receiver's connection flow-control window (RFC 9113 §6.9.2: 65 535 bytes unless raised): 1 000 messages are ~400 kB.
    if (H2_WINDOW > 0) s.once('localSettings', () => s.setLocalWindowSize(H2_WINDOW));
  });
  server.on('secureConnection', (s) => (sockets.add(s), s.once('close', () => sockets.delete(s))));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${server.address().port}`,
    close: async () => {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { arrivalCounter, clock, listen, listenPushService, pushServiceHandler, stop };
