'use strict';
// Preloaded (node --require) when the export lists are compared: the
// conformance kit (`@davsync/core/testing`) imports jest and fast-check,
// its optional peers, which only load inside a jest run. Node finds a CommonJS
// module's named exports by reading its source, not by running it, so stubs
// that let the module load do not change which names an ES module import
// sees; they only keep jest from refusing to load outside a test.
const Module = require('node:module');

const STUBBED = new Set(['@jest/globals', 'fast-check']);
// Anything called, read or constructed yields another stub.
const stub = new Proxy(function () {}, {
  get: (_t, key) => (key === '__esModule' ? false : key === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub,
  construct: () => stub,
});
const load = Module._load;
Module._load = function (request, ...rest) {
  return STUBBED.has(request) ? stub : load.call(this, request, ...rest);
};
