'use strict';
// Preloaded (node --require) when the export lists are compared: the
// conformance kit (`@davsync/core/testing`) imports `@jest/globals`, which
// throws when loaded outside a jest run. Node finds a CommonJS module's
// named exports by reading its source, not by running it, so a stub that
// lets the kit load does not change which names an ES module import sees.
// (The kit is run for real, under jest, in a step of its own.)
const Module = require('node:module');

// Anything called, read or constructed yields another stub.
const stub = new Proxy(function () {}, {
  get: (_t, key) => (key === '__esModule' ? false : key === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub,
  construct: () => stub,
});
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@jest/globals' ? stub : load.call(this, request, ...rest);
};
