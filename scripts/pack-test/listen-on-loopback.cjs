'use strict';
// Preloaded (node --require) into the README snippet's process so the
// snippet runs unedited: whatever port it asks for, it gets a free one (0),
// and it binds the loopback address it names, or 127.0.0.1 when it names
// none or another address (a test listens on loopback only). Each server
// that starts listening is announced on stdout for the test to read:
//   PACK_TEST_LISTENING {"port":41377,"requested":{"port":8080,"host":null}}
const net = require('node:net');

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const requested = { port: null, host: null };
  if (args[0] !== null && typeof args[0] === 'object') {
    const options = { ...args[0] };
    requested.port = options.port ?? null;
    requested.host = options.host ?? null;
    options.port = 0;
    options.host = LOOPBACK.test(options.host ?? '') ? options.host : '127.0.0.1';
    args[0] = options;
  } else if (typeof args[0] === 'number' || /^\d+$/.test(String(args[0] ?? ''))) {
    requested.port = Number(args[0]);
    args[0] = 0;
    if (typeof args[1] === 'string') {
      requested.host = args[1];
      if (!LOOPBACK.test(args[1])) args[1] = '127.0.0.1';
    } else {
      args.splice(1, 0, '127.0.0.1');
    }
  } else {
    // listen() with no port, or on a pipe/handle: outside what a test may open.
    throw new Error(`pack test: the snippet called listen(${args.map(String).join(', ')}); expected a port`);
  }
  this.once('listening', () => {
    const { port, address } = this.address();
    process.stdout.write(`PACK_TEST_LISTENING ${JSON.stringify({ port, address, requested })}\n`);
  });
  return listen.apply(this, args);
};
