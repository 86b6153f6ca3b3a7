#!/usr/bin/env node
// Would content-defined chunking (FastCDC) pay for davsync's delta transfer?
// No server: a SIZE MiB random "old" file, then edited copies (1 byte changed
// in the middle, 1 byte and 1 KiB inserted, 1 MiB deleted); for each, the
// bytes a client would fetch to rebuild the new version from the old one
//   - with fixed 4 MiB blocks, as davsync does (a block is reused when the old
//     file has the same hash on any block boundary; more than half the file
//     → the whole file, the client's rule), and
//   - with FastCDC chunks (gear hash, normalized chunking level 2, min 1 MiB,
//     average 4 MiB, max 16 MiB; a chunk is reused when the old file has one
//     with the same SHA-256),
// plus each method's chunking time over the file (SHA-256 included).
// Run: npm run bench:cdc   (SIZE in MiB with DAVSYNC_CDC_MIB, default 256; builds first)
'use strict';
const { createHash, randomBytes } = require('node:crypto');

const { ContentChunker, FASTCDC_PARAMS } = require('../packages/protocol/dist/index.js');

const MIB = 2 ** 20;
const SIZE = (Number(process.env.DAVSYNC_CDC_MIB) || 256) * MIB;
const BLOCK = 4 * MIB;

const sha = (b) => createHash('sha256').update(b).digest('hex');

// The chunker davsync serves as ds:chunk-hashes (packages/protocol/src/chunks/content-chunks.ts).
function cdcChunks(data) {
  return new ContentChunker(FASTCDC_PARAMS).update(data).end();
}

function fixedChunks(data) {
  const chunks = [];
  for (let start = 0; start < data.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, data.length);
    chunks.push({ length: end - start, hash: sha(data.subarray(start, end)) });
  }
  return chunks;
}

function timed(fn, data) {
  const t = process.hrtime.bigint();
  const out = fn(data);
  return { chunks: out, ms: Number(process.hrtime.bigint() - t) / 1e6 };
}

/** Bytes of `next` whose chunk hash `old` lacks. */
function toFetch(old, next) {
  const have = new Set(old.map((c) => c.hash));
  return next.reduce((n, c) => n + (have.has(c.hash) ? 0 : c.length), 0);
}

const mib = (n) => (n / MIB).toFixed(2);

const old = randomBytes(SIZE);
const mid = Math.floor(SIZE / 2);
const edits = {
  '1 byte changed (middle)': () => {
    const b = Buffer.from(old);
    b[mid] ^= 0xff;
    return b;
  },
  '1 byte inserted (middle)': () => Buffer.concat([old.subarray(0, mid), Buffer.from([7]), old.subarray(mid)]),
  '1 KiB inserted (at 1/3)': () => Buffer.concat([old.subarray(0, SIZE / 3), randomBytes(1024), old.subarray(SIZE / 3)]),
  '1 MiB deleted (middle)': () => Buffer.concat([old.subarray(0, mid), old.subarray(mid + MIB)]),
  '1 byte appended': () => Buffer.concat([old, Buffer.from([1])]),
};

const oldFixed = timed(fixedChunks, old);
const oldCdc = timed(cdcChunks, old);
console.log(`file ${mib(SIZE)} MiB; fixed 4 MiB blocks: ${oldFixed.chunks.length} chunks in ${oldFixed.ms.toFixed(0)} ms; FastCDC (1/4/16 MiB): ${oldCdc.chunks.length} chunks in ${oldCdc.ms.toFixed(0)} ms`);
console.log('| edit | fixed blocks: MiB fetched (client rule) | FastCDC: MiB fetched |');
console.log('|---|---|---|');
for (const [name, make] of Object.entries(edits)) {
  const next = make();
  const fixed = toFetch(oldFixed.chunks, fixedChunks(next));
  const rule = fixed > next.length / 2 ? `${mib(fixed)} → whole file ${mib(next.length)}` : mib(fixed);
  console.log(`| ${name} | ${rule} | ${mib(toFetch(oldCdc.chunks, cdcChunks(next)))} |`);
}
