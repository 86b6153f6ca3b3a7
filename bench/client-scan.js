#!/usr/bin/env node
// How to stat a synced folder fastest (issue #18, the no-change pass): a
// temporary tree of N small files in nested folders (d0..d49/e0..e19, as
// bench/client.js), then each way of listing and lstat'ing all of it, the
// page cache warm (one untimed walk first), --runs times each, interleaved:
//   awaited     readdir + one awaited lstat at a time (the client before)
//   parallel16  readdir + 16 lstats in flight (libuv's thread pool)
//   parallel64  the same, 64 in flight
//   sync        readdirSync(withFileTypes) + lstatSync (the client now,
//               packages/client/src/local/local-scan.ts)
// and the client's own scanLocal from the build. Median ms per way.
// Run: npm run bench:client:scan  (= tsc -b && node bench/client-scan.js)
// Options: --n 10000  --runs 5
'use strict';
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

function parseArgs(argv) {
  const opts = { n: 10000, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--n') opts.n = Number(argv[++i]);
    else if (argv[i] === '--runs') opts.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (--n N, --runs R)`);
  }
  if (!(opts.n >= 1 && opts.runs >= 1)) throw new Error('--n and --runs need positive numbers');
  return opts;
}

async function awaited(root) {
  let n = 0;
  const queue = [''];
  while (queue.length > 0) {
    const dir = queue.shift();
    for (const name of (await fsp.readdir(path.join(root, dir))).sort()) {
      const p = dir === '' ? name : `${dir}/${name}`;
      const st = await fsp.lstat(path.join(root, p), { bigint: true });
      if (st.isDirectory()) queue.push(p);
      n++;
    }
  }
  return n;
}

function parallel(k) {
  return async (root) => {
    let n = 0;
    const queue = [''];
    while (queue.length > 0) {
      const dir = queue.shift();
      const paths = (await fsp.readdir(path.join(root, dir))).sort().map((name) => (dir === '' ? name : `${dir}/${name}`));
      let next = 0;
      await Promise.all(
        Array.from({ length: k }, async () => {
          while (next < paths.length) {
            const p = paths[next++];
            const st = await fsp.lstat(path.join(root, p), { bigint: true });
            if (st.isDirectory()) queue.push(p);
            n++;
          }
        }),
      );
    }
    return n;
  };
}

async function sync(root) {
  let n = 0;
  const queue = [''];
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i];
    for (const d of fs.readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = dir === '' ? d.name : `${dir}/${d.name}`;
      const st = fs.lstatSync(path.join(root, p), { bigint: true });
      if (st.isDirectory()) queue.push(p);
      n++;
    }
  }
  return n;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { scanLocal } = require('../packages/client/dist/local/local-scan.js');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-scan-'));
  try {
    for (let i = 0; i < opts.n; i++) {
      const p = path.join(root, `d${i % 50}`, `e${Math.floor(i / 50) % 20}`, `f${i}.txt`);
      if (i < 1000) fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, `file ${i}\n`);
    }
    const ways = { awaited, parallel16: parallel(16), parallel64: parallel(64), sync, scanLocal: async (r) => (await scanLocal(r)).entries.size };
    await sync(root); // warm the cache
    const times = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
    let entries;
    for (let r = 0; r < opts.runs; r++) {
      for (const [name, way] of Object.entries(ways)) {
        const began = process.hrtime.bigint();
        entries = await way(root);
        times[name].push(Number(process.hrtime.bigint() - began) / 1e6);
      }
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`# local scan, ${entries} entries (N = ${opts.n} files), median of ${opts.runs}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const [name, t] of Object.entries(times)) console.log(`${name.padEnd(11)} ${median(t).toFixed(0).padStart(6)} ms  (${t.map((x) => x.toFixed(0)).join(', ')})`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
