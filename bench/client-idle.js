#!/usr/bin/env node
// CPU of continuous mode's idle poll at N files (issue #18): a davsync server
// in its own process (bench/support/server.js, memory store, /files/ holding N
// small vCards), a first sync into a temporary folder, then `syncContinuously`
// (folder watched, no change stream, a poll every --interval ms) in this
// process, in rounds that alternate
//   scan     fullScanIntervalMs 0: every poll scans the folder (the behaviour
//            before scan-free passes)
//   trusted  the default: polls skip the scan while the watcher is quiet
// Each round waits for --warmup polls, then takes process.cpuUsage() (user +
// system, this process only: the client) over the next --polls polls, and
// prints CPU ms per poll and how many of them scanned. Nothing changes on
// either side: a poll that does anything is an error.
// Run: npx tsc -b && node bench/client-idle.js --n 10000 --polls 20 --rounds 2
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'packages', 'client', 'dist');
const { syncContinuously, syncUntilAgreed } = require(path.join(DIST, 'index'));

function parseArgs(argv) {
  const opts = { n: 10000, polls: 20, warmup: 3, rounds: 2, interval: 50 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]} (--n, --polls, --warmup, --rounds, --interval)`);
    opts[key] = Number(argv[++i]);
    if (!(opts[key] >= 0)) throw new Error(`--${key} needs a number`);
  }
  return opts;
}

function startServer(n) {
  const child = spawn(process.execPath, [path.join(__dirname, 'support', 'server.js'), 'davsync', `files=${n}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}/files/` });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

async function round(mode, dir, url, opts) {
  const stop = new AbortController();
  const polls = [];
  let mark;
  let result;
  const done = new Promise((resolve) => {
    syncContinuously({
      dir,
      url,
      intervalMs: opts.interval,
      stream: false,
      ...(mode === 'scan' ? { fullScanIntervalMs: 0 } : {}),
      signal: stop.signal,
      onPass: (pass, trigger) => {
        if (trigger !== 'timer') return;
        if (pass.actions.length > 0) throw new Error(`an idle poll did something: ${JSON.stringify(pass.counts)}`);
        polls.push(pass.scanned);
        if (polls.length === opts.warmup) mark = process.cpuUsage();
        if (polls.length === opts.warmup + opts.polls) {
          const cpu = process.cpuUsage(mark);
          const measured = polls.slice(opts.warmup);
          result = { mode, cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / opts.polls, scanned: measured.filter(Boolean).length, polls: opts.polls };
          stop.abort();
        }
      },
      onPassError: (err) => {
        throw err;
      },
    }).then(resolve);
  });
  await done;
  return result;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'davsync-bench-idle-'));
  const server = await startServer(opts.n);
  try {
    const dir = path.join(tmp, 'folder');
    fs.mkdirSync(dir);
    const first = await syncUntilAgreed({ dir, url: server.url });
    if (!first.agreed) throw new Error('the first sync did not agree');
    // Downloads are stamped with the server's time: wait until no identity is too recent to trust (RACY_NS, 2 s).
    await new Promise((r) => setTimeout(r, 2500));
    console.log(`${opts.n} files, a poll every ${opts.interval} ms, ${opts.polls} polls measured per round after ${opts.warmup}; CPU of the client process`);
    for (let r = 0; r < opts.rounds; r++) {
      for (const mode of ['scan', 'trusted']) {
        const res = await round(mode, dir, server.url, opts);
        console.log(`${mode.padEnd(8)} ${res.cpuMsPerPoll.toFixed(2)} ms CPU per poll (${res.scanned} of ${res.polls} scanned)`);
      }
    }
  } finally {
    server.child.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
